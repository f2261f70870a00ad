/**
 * Heavy dependencies loaded on first use, not at import: undici adds ~20 MB of RSS and ws ~9 MB to a
 * worker, the database drivers more (PGlite's WebAssembly most), and a worker that never calls a backend
 * (or opens a WebSocket, or queries a database) should not pay for them
 * (README "Performance notes": idle worker < 80 MB). Loaded synchronously with require so that every API stays synchronous
 * (`was.get` fires at once); after the first call each getter costs one null check. The types come from
 * `import type` and are exactly the packages' own.
 */
import { createRequire } from 'node:module'
import type * as Pglite from '@electric-sql/pglite'
import type { Redis } from 'ioredis'
import type * as Pg from 'pg'
import type * as Undici from 'undici'
import type WebSocket from 'ws'

const require = createRequire(import.meta.url)

let undici: typeof Undici | null = null
let pg: typeof Pg | null = null
let pglite: Promise<typeof Pglite> | null = null
let ioredis: typeof Redis | null = null
let ws: typeof WebSocket | null = null

/** The undici module (Pool, Agent, interceptors, cacheStores …). */
export function undiciLib(): typeof Undici {
  return (undici ??= require('undici') as typeof Undici)
}

/** ws's WebSocket class. */
export function wsLib(): typeof WebSocket {
  return (ws ??= require('ws') as typeof WebSocket)
}

/** The `pg` module (Pool, Client): loaded by the first query to a DB_PGSQL host member. */
export function pgLib(): typeof Pg {
  return (pg ??= require('pg') as typeof Pg)
}

/** `@electric-sql/pglite` (an ES module, ~10 MB of WebAssembly): imported by the first `pglite:` query. */
export function pgliteLib(): Promise<typeof Pglite> {
  return (pglite ??= import('@electric-sql/pglite'))
}

/** ioredis's Redis class: loaded by the first DB_REDIS query or `skitai.useRedis`. */
export function ioredisLib(): typeof Redis {
  return (ioredis ??= (require('ioredis') as { Redis: typeof Redis }).Redis)
}

/** Where better-sqlite3 is installed; only the SQLite worker thread loads it. */
export function betterSqlitePath(): string {
  return require.resolve('better-sqlite3')
}
