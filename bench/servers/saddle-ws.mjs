// biome-ignore-all lint/correctness/noUnusedFunctionParameters: a Saddle handler takes `was` first even when it does not use it
// WebSocket routes of a Saddle app as a user writes them: /echo (simple), /idle (no idle timeout, for
// the 10,000 idle sessions), /room?roomid=N (groupchat: a returned value goes to the whole room).
import { HOST, PORT } from './common.mjs'
import { loadEngine, loadSaddle, quiet } from './skitai.mjs'

const skitai = await loadEngine()
const Saddle = await loadSaddle()
const app = new Saddle(import.meta.url)
app.route('/echo', { websocket: { spec: 'simple' } }, (was, message) => message)
app.route('/idle', { websocket: { timeout: 0 } }, (was, message) => message)
app.route('/room', { websocket: { spec: 'groupchat', timeout: 0 } }, (was, message, roomid) => message)
quiet(skitai)
skitai.mount('/', app)
await skitai.run({ address: HOST, port: PORT })
