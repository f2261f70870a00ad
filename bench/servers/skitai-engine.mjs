// The Skitai engine with the raw node:http listener mounted on it: the same listener as node-http.mjs,
// so the difference is the engine's own cost. /backend uses `was.get` through the AsyncLocalStorage
// `was` (SPEC §3.7) — the way an Express app mounted on Skitai reaches backends.
import { BACKEND_URL, HOST, PORT, announce } from './common.mjs'
import { createNodeHandler } from './node-handler.mjs'
import { loadEngine, quiet, wasServices } from './skitai.mjs'

const skitai = await loadEngine()
const services = await wasServices()
const { was } = await import('@skitai/was')

const unsupported = {}
if (!services.get) unsupported['was-get'] = '@skitai/was has no was.get yet'
unsupported.map = 'the map scenario runs on Saddle'

const backend = () => was.get(BACKEND_URL).fetch()
skitai.mount('/static', new URL('./static', import.meta.url).pathname)
skitai.mount('/', createNodeHandler({ serveStatic: false, backend }))
skitai.setKeepAlive(120).setRequestTimeout(120)
quiet(skitai)
announce(unsupported)
await skitai.run({ address: HOST, port: PORT })
