/**
 * The base `was` object: one per request, with a fixed shape (every field assigned in the constructor)
 * and everything else lazy. The backend services of the was README "Backend calls" (get/post/…/rpc/jsonrpc/ws/db with .lb and
 * .map, setlu/getlu) are defined on this class; Saddle's handler context extends it with request,
 * response, session and so on.
 */
import { type Cluster, getAlias } from './aliases.js'
import type { Pending } from './call.js'
import { getlu, setlu } from './lu.js'
import {
  type BodylessVerb,
  type BodyVerb,
  type DbService,
  type RpcService,
  type WsService,
  bodylessVerb,
  bodyVerb,
  dbService,
  rpcService,
  uploadVerb,
  wsService,
} from './services.js'

let requestTypes: readonly [string, string] = ['application/json', 'application/json']

/** Server-wide default [request content type, accepted type] of `was` calls. */
export function setDefaultRequestType(requestType: string, accept: string): void {
  requestTypes = [requestType, accept]
}

/** The services of one `was`, made on first use (see services.ts). */
class Services {
  get: BodylessVerb | null = null
  delete: BodylessVerb | null = null
  options: BodylessVerb | null = null
  post: BodyVerb | null = null
  put: BodyVerb | null = null
  patch: BodyVerb | null = null
  upload: BodyVerb | null = null
  rpc: RpcService | null = null
  jsonrpc: RpcService | null = null
  ws: WsService | null = null
  db: DbService | null = null
}

/** Where a `was` gets its global transaction id when it is first asked for (the engine's request context). */
export interface TxnSource {
  readonly gtxnid: string
}

export class Was {
  /** Local transaction id: the caller's `X-Ltxn-Id` + 1000, or 1000. */
  readonly ltxnid: number
  /** The global id, or where to read it on first use (most requests never ask: no string is built). */
  private _gtxn: string | TxnSource
  /** How many outgoing requests this `was` has made (their ids are ltxnid + 1, + 2, …). */
  protected _txnSeq: number
  /** Backend calls fired by this request, cancelled by close() unless finished. */
  private _calls: Pending[] | null
  private _services: Services | null

  constructor(gtxnid: string | TxnSource, ltxnid: number) {
    this._gtxn = gtxnid
    this.ltxnid = ltxnid
    this._txnSeq = 0
    this._calls = null
    this._services = null
  }

  /** Global transaction id of the request being handled (from `X-Gtxn-Id` or new). */
  get gtxnid(): string {
    const g = this._gtxn
    return typeof g === 'string' ? g : (this._gtxn = g.gtxnid)
  }

  /** `gtxid/ltxid`, as logged. */
  txnid(): string {
    return `${this.gtxnid}/${this.ltxnid}`
  }

  /** Headers for the next outgoing request: X-Gtxn-Id and X-Ltxn-Id = local id + n. */
  nextTxnHeaders(): { 'x-gtxn-id': string; 'x-ltxn-id': string } {
    this._txnSeq++
    return { 'x-gtxn-id': this.gtxnid, 'x-ltxn-id': String(this.ltxnid + this._txnSeq) }
  }

  /**
   * [request content type, accepted type] for backend calls; `['application/json', 'application/json']`
   * unless `setDefaultRequestType` changed it. Saddle overrides this with `app.config.defaultRequestType`.
   */
  defaultRequestType(): readonly [string, string] {
    return requestTypes
  }

  /** The cluster of an alias name (without '@'). Saddle overrides it to try `app.alias` ones first. */
  resolveAlias(name: string): Cluster | undefined {
    return getAlias(name)
  }

  /** @internal Remember a fired call so close() can cancel it. */
  trackCall(call: Pending): void {
    const calls = this._calls
    if (calls === null) {
      this._calls = [call]
      return
    }
    // A long-lived was (a WebSocket handler, a loop of calls) would otherwise hold every finished call
    // and its body until close(): every 64 calls drop the finished ones.
    if ((calls.length & 63) === 63) {
      let n = 0
      for (const c of calls) if (!c.finished) calls[n++] = c
      calls.length = n
    }
    calls.push(call)
  }

  private get _svc(): Services {
    if (this._services === null) this._services = new Services()
    return this._services
  }

  /** `was.get(url, { headers, auth, timeout, useCache })`, `.lb`, `.map`. */
  get get(): BodylessVerb {
    const s = this._svc
    return s.get ?? (s.get = bodylessVerb(this, 'GET'))
  }
  get delete(): BodylessVerb {
    const s = this._svc
    return s.delete ?? (s.delete = bodylessVerb(this, 'DELETE'))
  }
  get options(): BodylessVerb {
    const s = this._svc
    return s.options ?? (s.options = bodylessVerb(this, 'OPTIONS'))
  }
  /** `was.post(url, data, opts)`: data sent as JSON by default. */
  get post(): BodyVerb {
    const s = this._svc
    return s.post ?? (s.post = bodyVerb(this, 'POST'))
  }
  get put(): BodyVerb {
    const s = this._svc
    return s.put ?? (s.put = bodyVerb(this, 'PUT'))
  }
  get patch(): BodyVerb {
    const s = this._svc
    return s.patch ?? (s.patch = bodyVerb(this, 'PATCH'))
  }
  /** `was.upload(url, { field: 'v', file: fileFrom(path) | Buffer | stream })`: multipart POST. */
  get upload(): BodyVerb {
    const s = this._svc
    return s.upload ?? (s.upload = uploadVerb(this))
  }
  /** XML-RPC: `was.rpc(url).math.add(1, 2)`. */
  get rpc(): RpcService {
    const s = this._svc
    return s.rpc ?? (s.rpc = rpcService(this, 1))
  }
  /** JSON-RPC 2.0: `was.jsonrpc(url).add(1, 2)`. */
  get jsonrpc(): RpcService {
    const s = this._svc
    return s.jsonrpc ?? (s.jsonrpc = rpcService(this, 2))
  }
  /** One WebSocket message, one reply: `was.ws('@chat/echo', 'hi')`. */
  get ws(): WsService {
    const s = this._svc
    return s.ws ?? (s.ws = wsService(this))
  }
  /** Database aliases: `was.db('@mydb').execute(sql, params)`, `.lb`, `.map`, `transaction(fn)`. */
  get db(): DbService {
    const s = this._svc
    return s.db ?? (s.db = dbService(this))
  }

  /** Record that model `key` changed now (README "Model keys: `deflu`/`setlu`/`getlu`"). */
  setlu(...keys: string[]): void {
    setlu(...keys)
  }

  /** Latest update time (ms) of the model keys, for `useCache`. */
  getlu(...keys: string[]): number {
    return getlu(...keys)
  }

  /**
   * Called by the engine (or Saddle) when the request has ended: cancels backend requests that were
   * fired but never collected, returning their connections to the pool.
   */
  close(): void {
    const calls = this._calls
    if (calls === null) return
    this._calls = null
    for (const c of calls)
      if (!c.finished) c.abort(false, 'cancelled: the request ended before the result was collected')
  }
}
