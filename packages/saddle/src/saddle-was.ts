import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RequestContext } from '@skitai/engine'
import { type Cluster, Was } from '@skitai/was'
import { ApiResult, FaultResult } from './api.js'
import type { Saddle } from './app.js'
import { broadcast } from './events.js'
import { baseurlFor, buildUrlFor, partialFor } from './url-builder.js'
import { SaddleRequest } from './request.js'
import { SaddleResponse } from './response.js'
import type { Route } from './route.js'
import type { RpcKind } from './rpc/index.js'
import type { CookieJar } from './state/cookie.js'
import type { MessageBox } from './state/mbox.js'
import type { Session } from './state/session.js'
import { renderOrApi, renderTemplate } from './templates.js'
import type { UploadedFile } from './upload.js'
import type { SaddleWebSocket } from './websocket/session.js'

type Fn = (...args: any[]) => unknown

/** The `was` of a `temp.bind` kind. */
export type TempEvent = 'ok' | 'except' | 'end'

/** `was.temp`: a request-scoped bag plus one-request callbacks (`bind`). */
export class TempBag {
  /** @internal */ _ok: Fn[] | null = null
  /** @internal */ _except: Fn[] | null = null
  /** @internal */ _end: Fn[] | null = null;
  [key: string]: unknown

  /** `ok(was, response)` after success, `except(was, error)` after a failure, `end(was)` always. */
  bind(event: TempEvent, fn: Fn): void {
    if (event === 'ok') (this._ok ??= []).push(fn)
    else if (event === 'except') (this._except ??= []).push(fn)
    else if (event === 'end') (this._end ??= []).push(fn)
    else throw new Error(`was.temp.bind: unknown event '${event}' (ok, except or end)`)
  }
}

/**
 * The handler context (README "`was` in a handler"). One fixed shape — every field is assigned in the constructor — and
 * everything costly is lazy: request views, response, g, temp, cookies, session.
 */
export class SaddleWas extends Was {
  readonly app: Saddle
  /** The matched route, once known. */
  route: Route | null
  /** @internal */ readonly _req: IncomingMessage
  /** @internal */ readonly _res: ServerResponse
  /** @internal */ readonly _ctx: RequestContext
  /** @internal */ readonly _isHead: boolean
  /** @internal URL variables of the matched route */
  _params: Record<string, string | number>
  /** @internal */ _request: SaddleRequest | null
  /** @internal */ _response: SaddleResponse | null
  /** @internal */ _g: Record<string, unknown> | null
  /** @internal */ _temp: TempBag | null
  /** @internal the error being handled (for `traceback()`) */
  _error: unknown
  /** @internal the kind of RPC call the request may be, recognised once from its Content-Type (POST only) */
  _rpc: RpcKind | null
  /** @internal temporary upload files of this request */
  _uploads: UploadedFile[]
  /** @internal */ _committed: boolean
  /** @internal state slots, filled lazily by the app's state services (state/services.ts) */
  _cookie: CookieJar | null
  _session: Session | null
  _mbox: MessageBox | null
  _csrfToken: string | null
  /** @internal the connection of a WebSocket route (websocket/session.ts), else null */
  _ws: SaddleWebSocket | null
  /** @internal the WebSocket event being handled: 0 a message, 1 init, 2 open, 3 close */
  _wsEvent: number

  constructor(app: Saddle, req: IncomingMessage, res: ServerResponse, ctx: RequestContext) {
    super(ctx, ctx.ltxnid)
    this.app = app
    this.route = null
    this._req = req
    this._res = res
    this._ctx = ctx
    this._isHead = req !== null && req.method === 'HEAD'
    this._params = NO_PARAMS
    this._request = null
    this._response = null
    this._g = null
    this._temp = null
    this._error = undefined
    this._rpc = null
    this._uploads = NO_UPLOADS
    this._committed = false
    this._cookie = null
    this._session = null
    this._mbox = null
    this._csrfToken = null
    this._ws = null
    this._wsEvent = 0
  }

  /** The connection of a WebSocket route: `send(data, clientId?)`, `sendAll`, `close`, `clients`. */
  get websocket(): SaddleWebSocket {
    if (this._ws === null) throw new Error('was.websocket is only available in a WebSocket route')
    return this._ws
  }

  /** The handshake is being checked (the handler is called before the 101). */
  wsinit(): boolean {
    return this._wsEvent === 1
  }

  /** The connection has just opened (a returned value is sent). */
  wsopened(): boolean {
    return this._wsEvent === 2
  }

  /** The connection has closed. */
  wsclosed(): boolean {
    return this._wsEvent === 3
  }

  /** The handler was called for an event (init, open, close), not for a message. */
  wshasevent(): boolean {
    return this._wsEvent !== 0
  }

  /** The connection's numeric client id (from 0, per process); -1 outside WebSocket routes. */
  wsclient(): number {
    return this._ws === null ? -1 : this._ws.clientId
  }

  /** `app.config.defaultRequestType` when set, else the server-wide default (was README). */
  override defaultRequestType(): readonly [string, string] {
    return this.app.config.defaultRequestType ?? super.defaultRequestType()
  }

  /** The app's own `app.alias` first, then the server-wide alias (was README "Aliases"). */
  override resolveAlias(name: string): Cluster | undefined {
    const own = this.app._aliases
    if (own !== null) {
      const c = own.get(name.charCodeAt(0) === 64 ? name.slice(1) : name)
      if (c !== undefined) return c
    }
    return super.resolveAlias(name)
  }

  get request(): SaddleRequest {
    if (this._request !== null) return this._request
    if (this._req === null) throw new Error('was.request is only available while a request is being handled')
    return (this._request = new SaddleRequest(this, this._req, this._ctx))
  }

  get response(): SaddleResponse {
    return (this._response ??= new SaddleResponse(this))
  }

  /** Request-scoped bag, empty at each request start. */
  get g(): Record<string, any> {
    return (this._g ??= Object.create(null))
  }

  get temp(): TempBag {
    return (this._temp ??= new TempBag())
  }

  /** All mounted Saddle apps by name. */
  get apps(): Record<string, Saddle> {
    return this.app.mountedApps()
  }

  get cookie(): CookieJar {
    return (this._cookie ??= this.app._state.cookie(this))
  }

  get session(): Session {
    return (this._session ??= this.app._state.session(this))
  }

  get mbox(): MessageBox {
    return (this._mbox ??= this.app._state.mbox(this))
  }

  get csrfToken(): string {
    return (this._csrfToken ??= this.app._state.csrfToken(this))
  }

  get csrfTokenInput(): string {
    return this.app._state.csrfTokenInput(this)
  }

  /** Whether the request carries the session's CSRF token (header, or the body's fields; never the query). */
  csrfVerify(): boolean {
    return this.app._state.csrfVerify(this)
  }

  /** A JWT of `claims`, signed with the app's securekey and first `jwtAlgorithms` entry. */
  mkjwt(claims: Record<string, unknown>, ttlSeconds?: number): string {
    return this.app._state.mkjwt(this, claims, ttlSeconds)
  }

  /** The claims of a valid, unexpired JWT signed with the app's securekey, else null. */
  dejwt(token: string): Record<string, unknown> | null {
    return this.app._state.dejwt(this, token)
  }

  /** A one-time token for `obj`, valid `timeoutSeconds` (kept in the session when `sessionKey` is given). */
  mktoken(obj: unknown, timeoutSeconds: number, sessionKey?: string): Promise<string> {
    return this.app._state.mktoken(this, obj, timeoutSeconds, sessionKey)
  }

  /** The object of a valid token, else undefined/null. */
  detoken(token: string): unknown {
    return this.app._state.detoken(this, token)
  }

  /** Revokes a session-bound token; whether it was there. */
  rmtoken(token: string): boolean {
    return this.app._state.rmtoken(this, token)
  }

  /** URL of a named route: positional args, then a final plain object of named ones (README "URL building"). */
  ab(name: string, ...args: unknown[]): string {
    return buildUrlFor(this.app, name, args, this.route)
  }

  /** Like `ab`, starting from the current request's arguments. */
  partial(name: string, overrides: Record<string, unknown> = {}): string {
    return partialFor(this, name, overrides)
  }

  /** The rule of a named route up to its first variable, with the mount point. */
  baseurl(name: string): string {
    return baseurlFor(this.app, name, this.route)
  }

  /** Renders a template after awaiting every Task/Promise in the context (README "Templates"). */
  render(name: string, context: Record<string, unknown> = {}): Promise<string> {
    return renderTemplate(this, name, context)
  }

  /** HTML from `template` for clients that accept text/html, else `API(data)`. */
  renderOrAPI(template: string, data: Record<string, unknown> = {}, status?: number): Promise<string | ApiResult> {
    return renderOrApi(this, template, data, status)
  }

  API(data?: unknown, status?: number): ApiResult {
    return new ApiResult(data, status ?? null)
  }

  Fault(status: number, message: string, code?: number, debug?: unknown, moreInfo?: unknown): FaultResult {
    return new FaultResult(status, message, code, debug, moreInfo)
  }

  /** Calls this app's `app.on(name)` handlers; resolves when they are done. */
  emit(name: string, ...args: unknown[]): Promise<void> {
    return this.app._events.emit(this, name, args)
  }

  /** Calls `onBroadcast(name)` handlers of every Saddle app in this process. */
  broadcast(name: string, ...args: unknown[]): Promise<void> {
    return broadcast(this, name, args)
  }

  /** Logs with the transaction id; levels: debug, info, warn, error. */
  log(msg: unknown, level: 'debug' | 'info' | 'warn' | 'error' = 'info'): void {
    this.app.log(`[${this.txnid()}] ${msg instanceof Error ? (msg.stack ?? msg.message) : String(msg)}`, level)
  }

  /** The stack of the error being handled (in failed hooks and error handlers), or ''. */
  traceback(): string {
    const e = this._error
    return e instanceof Error ? (e.stack ?? String(e)) : e === undefined ? '' : String(e)
  }

  /** Milliseconds since the epoch, now. */
  get timestamp(): number {
    return Date.now()
  }

  /** A new unique id (UUID v4 without dashes). */
  uniqid(): string {
    return randomUUID().replace(/-/g, '')
  }

  /** A path for a new temporary file (not created). */
  gentemp(): string {
    return join(tmpdir(), `skitai-${this.uniqid()}`)
  }

  /** @internal */
  get _uri(): string {
    return this._req.url ?? '/'
  }

  /** @internal a request header without building `was.request` */
  _rawHeader(name: string): string | undefined {
    const v = this._req.headers[name]
    return Array.isArray(v) ? v.join(', ') : v
  }

  /** @internal the list temporary uploads go into */
  _uploadList(): UploadedFile[] {
    return this._uploads === NO_UPLOADS ? (this._uploads = []) : this._uploads
  }

  /** @internal the state commit step; returns a promise only when a committer is asynchronous. */
  _commitState(): Promise<void> | undefined {
    if (this._committed || (this._cookie === null && this._session === null && this._mbox === null)) return undefined
    this._committed = true
    let pending: void | Promise<void>
    try {
      pending = this.app._state.commit(this)
    } catch (e) {
      this.app.logError(e, this, 'state commit failed')
      return undefined
    }
    if (pending === undefined) return undefined
    return pending.then(
      () => {},
      (e) => this.app.logError(e, this, 'state commit failed'),
    )
  }

  /** Ends the request's resources: uncollected backend calls, unsaved temporary uploads. */
  override close(): void {
    super.close()
    if (this._uploads !== NO_UPLOADS) {
      for (const f of this._uploads) f.discard()
      this._uploads = NO_UPLOADS
    }
  }
}

const NO_PARAMS: Record<string, string | number> = Object.freeze(Object.create(null))
const NO_UPLOADS: UploadedFile[] = Object.freeze([]) as unknown as UploadedFile[]
