/**
 * Heavy CommonJS dependencies loaded on first use, not at import: undici adds ~20 MB of RSS and ws ~9 MB
 * to a worker, and a worker that never calls a backend (or opens a WebSocket) should not pay for them
 * (SPEC §4: idle worker < 80 MB). Loaded synchronously with require so that every API stays synchronous
 * (`was.get` fires at once); after the first call each getter costs one null check. The types come from
 * `import type` and are exactly the packages' own.
 */
import { createRequire } from 'node:module'
import type * as Undici from 'undici'
import type WebSocket from 'ws'

const require = createRequire(import.meta.url)

let undici: typeof Undici | null = null
let ws: typeof WebSocket | null = null

/** The undici module (Pool, Agent, interceptors, cacheStores …). */
export function undiciLib(): typeof Undici {
  return (undici ??= require('undici') as typeof Undici)
}

/** ws's WebSocket class. */
export function wsLib(): typeof WebSocket {
  return (ws ??= require('ws') as typeof WebSocket)
}
