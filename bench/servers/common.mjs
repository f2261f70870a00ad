// What every bench server shares: the port and backend addresses handed over by bench/run.mjs, the
// canonical response headers (every server must answer byte for byte the same status, body and
// content-type), and the small IPC protocol with the bench process.
import { fileURLToPath } from 'node:url'

// Under `node --cpu-prof` (bench/profile.mjs) SIGTERM must end the process normally so that the
// profile is written.
if (process.execArgv.some((a) => a.startsWith('--cpu-prof'))) process.on('SIGTERM', () => process.exit(0))
// A server outlives neither its bench: when bench/run.mjs dies (killed, Ctrl-C) the IPC channel closes.
if (process.send) process.on('disconnect', () => process.exit(0))

export const PORT = Number(process.env.BENCH_PORT ?? 3000)
export const HOST = '127.0.0.1'
/** Directory holding the 4 KB static file of scenario 5 (served at /static/file4k.txt). */
export const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url))
/** Backend of scenario 6 (answers {"hello":"world"} at once). */
export const BACKEND_URL = process.env.BENCH_BACKEND ?? 'http://127.0.0.1:3990/'
/** The three members of scenario 7 (each answers after 50 ms), as host:port. */
export const MAP_MEMBERS = (process.env.BENCH_MAP_MEMBERS ?? '127.0.0.1:3991,127.0.0.1:3992,127.0.0.1:3993').split(',')
/** Idle keep-alive connections must outlive the opening of 10,000 of them (node's default is 5 s). */
export const KEEP_ALIVE_MS = 120_000

export const TEXT_TYPE = 'text/html; charset=utf-8'
export const JSON_TYPE = 'application/json; charset=utf-8'
export const XML_TYPE = 'text/xml; charset=utf-8'

/** Tell the bench which scenarios this server cannot run yet, and why (reported as skipped). */
export function announce(unsupported = {}) {
  if (process.send) process.send({ type: 'info', unsupported })
}

/** This server cannot run at all (its package is not ready): reported as skipped, not as a failure. */
export function skip(reason) {
  if (process.send) process.send({ type: 'skip', reason })
  else console.error(`skipped: ${reason}`)
  process.exit(0)
}

/** Scenario 3's work, shared so that every server does exactly the same. */
export function helloBody(num, a, b) {
  return { num, a, b }
}

// Scenario 7 is judged on the handler's own time (the three members collected), measured inside the
// server; the bench reads and resets it through GET /handler-stats around each round.
let handlerMs = []

export function recordHandler(ms) {
  handlerMs.push(ms)
}

export function handlerStats() {
  const v = handlerMs.sort((a, b) => a - b)
  handlerMs = []
  const at = (q) => (v.length ? v[Math.min(v.length - 1, Math.floor(q * v.length))] : null)
  const mean = v.length ? v.reduce((a, b) => a + b, 0) / v.length : null
  return { count: v.length, mean, p50: at(0.5), p99: at(0.99), max: v.length ? v[v.length - 1] : null }
}
