import type { RequestContext } from './contract.js'
import type { Engine } from './engine.js'

/**
 * The engine's per-request facts (contract.ts `RequestContext`), plus the few fields the engine itself
 * needs until the response closes. One object per request; every field is assigned in the constructor so
 * all instances share one hidden class.
 */
export class EngineRequestContext implements RequestContext {
  readonly mountPoint: string
  readonly path: string
  readonly search: string
  readonly gtxnid: string
  readonly ltxnid: number
  readonly startTime: number
  user: string | null
  readonly maxBodySize: number
  /** Request body bytes received (Content-Length, or counted for chunked bodies). */
  requestBytes: number
  /** The `was` entered for non-Saddle mounts (closed when the response closes), else null. */
  was: { close(): void } | null
  /** The engine serving the request. */
  readonly engine: Engine
  /** Whether this request gets an access-log line (decided once, from logOff rules). */
  readonly logged: boolean

  constructor(
    mountPoint: string,
    path: string,
    search: string,
    gtxnid: string,
    ltxnid: number,
    startTime: number,
    maxBodySize: number,
    requestBytes: number,
    engine: Engine,
    logged: boolean,
  ) {
    this.mountPoint = mountPoint
    this.path = path
    this.search = search
    this.gtxnid = gtxnid
    this.ltxnid = ltxnid
    this.startTime = startTime
    this.user = null
    this.maxBodySize = maxBodySize
    this.requestBytes = requestBytes
    this.was = null
    this.engine = engine
    this.logged = logged
  }
}
