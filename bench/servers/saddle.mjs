// biome-ignore-all lint/correctness/noUnusedFunctionParameters: a Saddle handler takes `was` first even when it does not use it
// A Saddle app on the Skitai engine, written as a Saddle user would: handlers take `was` and their
// arguments by name. BENCH_BACKEND_MODE=undici makes /backend call undici directly (the baseline of
// scenario 6, served by the same app so that only `was.get` differs).
import { announce, BACKEND_URL, HOST, handlerStats, MAP_MEMBERS, PORT, recordHandler } from './common.mjs'
import { loadEngine, loadSaddle, quiet, wasServices } from './skitai.mjs'

const skitai = await loadEngine()
const Saddle = await loadSaddle()
const services = await wasServices()
const undiciMode = process.env.BENCH_BACKEND_MODE === 'undici'

const app = new Saddle(import.meta.url)
const unsupported = {}

app.route('/', (was) => 'Hello World')
app.route('/json', (was) => ({ hello: 'world' }))
app.route('/hello/<int:num>', (was, num, a, b) => ({ num, a, b }))
app.route('/add', { methods: ['POST'] }, (was, num1, num2) => ({ result: num1 + num2 }))
// XML-RPC add(4, 10) posted to /rpc2 resolves to this route (SPEC §2.9).
app.route('/rpc2/add', (was, a, b) => a + b)

if (undiciMode) {
  // Imported only in this mode: an eager import would put undici's ~20 MB into the idle RSS of every run.
  const { request } = await import('undici')
  app.route('/backend', async (was) => {
    const { body } = await request(BACKEND_URL)
    return body.json()
  })
} else if (services.get) {
  app.route('/backend', (was) => was.get(BACKEND_URL).fetch())
} else {
  unsupported['was-get'] = '@skitai/was has no was.get yet'
}

if (services.map && typeof skitai.alias === 'function') {
  skitai.alias('@delayed', skitai.PROTO_HTTP, MAP_MEMBERS)
  app.route('/map', async (was) => {
    const t0 = performance.now()
    const results = await was.get.map('@delayed/').getswait(2)
    recordHandler(performance.now() - t0)
    return results.data
  })
  app.route('/handler-stats', (was) => handlerStats())
} else {
  unsupported.map = '@skitai/was has no was.get.map or @skitai/engine no alias() yet'
}

// the saddle-metrics server: request counting on, and the two pages mounted beside the app
if (process.env.BENCH_METRICS === '1') skitai.enableMetrics().enableStatus()
skitai.mount('/static', new URL('./static', import.meta.url).pathname)
skitai.mount('/', app)
skitai.setKeepAlive(120).setRequestTimeout(120)
quiet(skitai)
announce(unsupported)
await skitai.run({ address: HOST, port: PORT })
