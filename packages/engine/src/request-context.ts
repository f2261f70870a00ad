import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressRecord, AddressTable } from './address-caps.js'
import type { CompressionSettings } from './compression.js'
import type { RequestContext, RequestHolder } from './contract.js'
import type { RequestStats } from './status/request-stats.js'
import { gtxnIdOf } from './txn.js'

/**
 * What a request's context needs of the engine serving it, to count the request out and log it when the
 * response closes (response.ts) or to answer a failure (proxy.ts). The Engine has all of it; declared here
 * so that this file, which nearly every engine file reads, imports no file that imports it back.
 */
export interface ServingEngine {
  inFlight: number
  readonly connections: number
  readonly addresses: AddressTable
  /** A graceful close is under way (shutdown.ts): a response's head decides whether it closes its connection. */
  readonly draining: boolean
  readonly log: {
    request(
      req: IncomingMessage,
      res: ServerResponse,
      ctx: EngineRequestContext,
      headTime: number,
      active: number,
    ): void
    appError(error: unknown, txnid: string, where: string): void
  }
  handlerFailed(err: unknown, req: IncomingMessage, res: ServerResponse, ctx: EngineRequestContext | null): void
  /** Response compression now (`setCompression`), null when off. */
  readonly compression: CompressionSettings | null
  /** The status/metrics request counters, null when neither is on (response.ts counts into them). */
  readonly stats: RequestStats | null
}

/**
 * The engine's per-request facts (contract.ts `RequestContext`), plus the few fields the engine itself
 * needs until the response closes. One object per request; every field is assigned in the constructor so
 * all instances share one hidden class.
 */
export class EngineRequestContext implements RequestContext {
  readonly mountPoint: string
  readonly path: string
  readonly search: string
  /** The caller's X-Gtxn-Id (not yet checked) until `gtxnid` is first read, then the id itself. */
  private _gtxnid: string | undefined
  private _gtxnSet: boolean
  readonly ltxnid: number
  readonly startTime: number
  user: string | null
  /** The route name the app matched (Saddle sets it), for the metrics; null when none did. */
  route: string | null
  readonly maxBodySize: number
  /** Request body bytes received (Content-Length, or counted for chunked bodies). */
  requestBytes: number
  readonly hasBody: boolean
  readonly hasOrigin: boolean
  readonly acceptEncoding: string | undefined
  readonly conditional: boolean
  /** The `was` entered for non-Saddle mounts (closed when the response closes), else null. */
  was: { close(): void } | null
  /** The engine serving the request. */
  readonly engine: ServingEngine
  /** Whether this request gets an access-log line (decided once, from logOff rules). */
  readonly logged: boolean
  /** Set when the response has closed and its bookkeeping is done. */
  closed: boolean
  /** The client address's counts (address-caps.ts), counted down when the response closes; null if none. */
  address: AddressRecord | null
  asyncId: number
  holder: RequestHolder | null

  constructor(
    mountPoint: string,
    path: string,
    search: string,
    givenGtxnid: string | undefined,
    ltxnid: number,
    startTime: number,
    maxBodySize: number,
    requestBytes: number,
    hasBody: boolean,
    hasOrigin: boolean,
    acceptEncoding: string | undefined,
    conditional: boolean,
    engine: ServingEngine,
    logged: boolean,
  ) {
    this.mountPoint = mountPoint
    this.path = path
    this.search = search
    this._gtxnid = givenGtxnid
    this._gtxnSet = false
    this.ltxnid = ltxnid
    this.startTime = startTime
    this.user = null
    this.route = null
    this.maxBodySize = maxBodySize
    this.requestBytes = requestBytes
    this.hasBody = hasBody
    this.hasOrigin = hasOrigin
    this.acceptEncoding = acceptEncoding
    this.conditional = conditional
    this.was = null
    this.engine = engine
    this.logged = logged
    this.closed = false
    this.address = null
    this.asyncId = 0
    this.holder = null
  }

  /** The engine's compression settings, null when off (read per answer: setCompression may change them). */
  get compression(): CompressionSettings | null {
    return this.engine.compression
  }

  /**
   * The global transaction id: the caller's when it is a sane id, else a new one. Worked out on first
   * read (the access log, a backend call, an error): a request nobody asks about builds no id string.
   */
  get gtxnid(): string {
    if (!this._gtxnSet) {
      this._gtxnid = gtxnIdOf(this._gtxnid)
      this._gtxnSet = true
    }
    return this._gtxnid as string
  }
}
