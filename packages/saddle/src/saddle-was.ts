import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RequestContext } from '@skitai/engine'
import type { Cluster } from '@skitai/was'
import { ApiResult, FaultResult } from './api.js'
import type { RouteInfo, RpcKind, SaddleApp } from './contract.js'
import { broadcast } from './events.js'
import { baseurlFor, buildUrlFor, partialFor } from './url-builder.js'
import { SaddleRequest } from './request.js'
import { SaddleResponse } from './response.js'
import type { CookieJar } from './state/cookie.js'
import type { MessageBox } from './state/mbox.js'
import type { Session } from './state/session.js'
import { renderOrApi, renderTemplate } from './templates.js'
import { TempBag } from './temp-bag.js'
import type { UploadedFile } from './upload.js'
import { WebSocketWas } from './websocket-was.js'

/** A hook layer as `was` keeps it while its teardown is owed (hooks.ts `HookLayer` is one). */
export interface OwedTeardown {
  readonly teardown: readonly ((was: SaddleWas) => unknown)[] | null
}

/**
 * The handler context (README "`was` in a handler"). One fixed shape — every field is assigned in the constructor
 * (the WebSocket slots in the constructor of `WebSocketWas`, websocket-was.ts) — and everything costly is lazy:
 * request views, response, g, temp, cookies, session.
 * It is a `WasScope` (contract.ts) by its shape, not by an `implements` clause: the internal members
 * are stripped from the published typings, which would make that clause fail there.
 */
export class SaddleWas extends WebSocketWas {
  readonly app: SaddleApp<SaddleWas>
  /** The matched route, once known. */
  route: RouteInfo | null
  /** @internal the node request (null for the idle `was` of lifecycle hooks and broadcasts) */
  readonly nodeRequest: IncomingMessage
  /** @internal the node response the writer writes */
  readonly nodeResponse: ServerResponse
  /** @internal the engine's facts about the request */
  readonly requestContext: RequestContext
  /** @internal */ readonly isHead: boolean
  /** URL variables of the matched route */
  #params: Record<string, string | number>
  #request: SaddleRequest | null
  #response: SaddleResponse | null
  #g: Record<string, unknown> | null
  #temp: TempBag | null
  /** the error being handled (for `traceback()`) */
  #error: unknown
  /** the kind of RPC call the request may be, recognised once from its Content-Type (POST only) */
  #rpc: RpcKind | null
  /** temporary upload files of this request */
  #uploads: UploadedFile[]
  #committed: boolean
  /** state slots, filled lazily by the app's state services (state/services.ts) */
  #cookie: CookieJar | null
  #session: Session | null
  #mbox: MessageBox | null
  #csrfToken: string | null
  /** hook layers entered whose teardown has not started yet, innermost last (lifecycle/hook-layers.ts) */
  #pendingTeardowns: OwedTeardown[] | null
  /** @internal the engine answered for this request (lifecycle/abandon.ts): the rest of its walk is ignored */
  abandoned: boolean

  constructor(app: SaddleApp<SaddleWas>, req: IncomingMessage, res: ServerResponse, ctx: RequestContext) {
    super(ctx, ctx.ltxnid)
    this.app = app
    this.route = null
    this.nodeRequest = req
    this.nodeResponse = res
    this.requestContext = ctx
    this.isHead = req !== null && req.method === 'HEAD'
    this.#params = NO_PARAMS
    this.#request = null
    this.#response = null
    this.#g = null
    this.#temp = null
    this.#error = undefined
    this.#rpc = null
    this.#uploads = NO_UPLOADS
    this.#committed = false
    this.#cookie = null
    this.#session = null
    this.#mbox = null
    this.#csrfToken = null
    this.#pendingTeardowns = null
    this.abandoned = false
  }

  /** `app.config.defaultRequestType` when set, else the server-wide default (was README). */
  override defaultRequestType(): readonly [string, string] {
    return this.app.config.defaultRequestType ?? super.defaultRequestType()
  }

  /** The app's own `app.alias` first, then the server-wide alias (was README "Aliases"). */
  override resolveAlias(name: string): Cluster | undefined {
    const own = this.app.ownAliases
    if (own !== null) {
      const c = own.get(name.charCodeAt(0) === 64 ? name.slice(1) : name)
      if (c !== undefined) return c
    }
    return super.resolveAlias(name)
  }

  get request(): SaddleRequest {
    if (this.#request !== null) return this.#request
    if (this.nodeRequest === null) throw new Error('was.request is only available while a request is being handled')
    return (this.#request = new SaddleRequest(this, this.nodeRequest, this.requestContext))
  }

  get response(): SaddleResponse {
    return (this.#response ??= new SaddleResponse(this))
  }

  /** Request-scoped bag, empty at each request start. */
  get g(): Record<string, any> {
    return (this.#g ??= Object.create(null))
  }

  get temp(): TempBag {
    return (this.#temp ??= new TempBag())
  }

  /** All mounted Saddle apps by name. */
  get apps(): Record<string, SaddleApp<SaddleWas>> {
    return this.app.mountedApps()
  }

  get cookie(): CookieJar {
    return (this.#cookie ??= this.app.stateServices.cookie(this))
  }

  get session(): Session {
    return (this.#session ??= this.app.stateServices.session(this))
  }

  get mbox(): MessageBox {
    return (this.#mbox ??= this.app.stateServices.mbox(this))
  }

  get csrfToken(): string {
    return (this.#csrfToken ??= this.app.stateServices.csrfToken(this))
  }

  get csrfTokenInput(): string {
    return this.app.stateServices.csrfTokenInput(this)
  }

  /** Whether the request carries the session's CSRF token (header, or the body's fields; never the query). */
  csrfVerify(): boolean {
    return this.app.stateServices.csrfVerify(this)
  }

  /** A JWT of `claims`, signed with the app's securekey and first `jwtAlgorithms` entry. */
  mkjwt(claims: Record<string, unknown>, ttlSeconds?: number): string {
    return this.app.stateServices.mkjwt(this, claims, ttlSeconds)
  }

  /** The claims of a valid, unexpired JWT signed with the app's securekey, else null. */
  dejwt(token: string): Record<string, unknown> | null {
    return this.app.stateServices.dejwt(this, token)
  }

  /** A one-time token for `obj`, valid `timeoutSeconds` (kept in the session when `sessionKey` is given). */
  mktoken(obj: unknown, timeoutSeconds: number, sessionKey?: string): Promise<string> {
    return this.app.stateServices.mktoken(this, obj, timeoutSeconds, sessionKey)
  }

  /** The object of a valid token, else undefined/null. */
  detoken(token: string): unknown {
    return this.app.stateServices.detoken(this, token)
  }

  /** Revokes a session-bound token; whether it was there. */
  rmtoken(token: string): boolean {
    return this.app.stateServices.rmtoken(this, token)
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

  /**
   * The server's status (README "Status page and metrics"): version, uptime, workers, connections,
   * requests, backends, result cache — summed over every worker.
   */
  status(): Promise<unknown> {
    return this.app.serverStatus()
  }

  API(data?: unknown, status?: number): ApiResult {
    return new ApiResult(data, status ?? null)
  }

  Fault(status: number, message: string, code?: number, debug?: unknown, moreInfo?: unknown): FaultResult {
    return new FaultResult(status, message, code, debug, moreInfo)
  }

  /** Calls this app's `app.on(name)` handlers; resolves when they are done. */
  emit(name: string, ...args: unknown[]): Promise<void> {
    return this.app.eventBus.emit(this, name, args)
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
    const e = this.#error
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

  /** @internal URL variables of the matched route (empty until a route matched) */
  get routeParams(): Record<string, string | number> {
    return this.#params
  }

  /** @internal the route matched for this request (or called by RPC) and its URL variables */
  enterRoute(route: RouteInfo, params: Record<string, string | number>): void {
    this.route = route
    this.#params = params
    // the `route` label of the engine's metrics (README "Status page and metrics")
    this.requestContext.route = route.fullName
  }

  /** @internal `was.request` if a stage or the handler has built it, else null (nothing is built) */
  get builtRequest(): SaddleRequest | null {
    return this.#request
  }

  /** @internal `was.response` if it was used, else null */
  get builtResponse(): SaddleResponse | null {
    return this.#response
  }

  /** @internal `was.temp` if it was used, else null */
  get builtTemp(): TempBag | null {
    return this.#temp
  }

  /** @internal the error a failed hook or handler raised, for `traceback()` */
  noteError(error: unknown): void {
    this.#error = error
  }

  /** @internal the kind of RPC call the request may be (null: not one) */
  get rpcKind(): RpcKind | null {
    return this.#rpc
  }

  /** @internal recognised from the Content-Type when the request came in; null once known not to be one */
  setRpcKind(kind: RpcKind | null): void {
    this.#rpc = kind
  }

  /** @internal the temporary uploads of this request (unsaved ones are removed at close) */
  get uploads(): readonly UploadedFile[] {
    return this.#uploads
  }

  /** @internal the cookie jar / session if a handler or hook used them (the state commit's question) */
  get cookieIfUsed(): CookieJar | null {
    return this.#cookie
  }

  get sessionIfUsed(): Session | null {
    return this.#session
  }

  /** A path for a new temporary file (not created). */
  gentemp(): string {
    return join(tmpdir(), `skitai-${this.uniqid()}`)
  }

  /** @internal the request target as sent */
  get uri(): string {
    return this.nodeRequest.url ?? '/'
  }

  /** @internal a request header without building `was.request` */
  rawHeader(name: string): string | undefined {
    const v = this.nodeRequest.headers[name]
    return Array.isArray(v) ? v.join(', ') : v
  }

  /** @internal the list temporary uploads go into */
  uploadList(): UploadedFile[] {
    return this.#uploads === NO_UPLOADS ? (this.#uploads = []) : this.#uploads
  }

  /** @internal the state commit step; returns a promise only when a committer is asynchronous. */
  commitState(): Promise<void> | undefined {
    if (this.#committed || (this.#cookie === null && this.#session === null && this.#mbox === null)) return undefined
    this.#committed = true
    let pending: void | Promise<void>
    try {
      pending = this.app.stateServices.commit(this)
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

  /** @internal a hook layer with teardown hooks was entered (its teardown is now owed) */
  enterTeardownLayer(layer: OwedTeardown): void {
    if (!this.abandoned) (this.#pendingTeardowns ??= []).push(layer)
  }

  /** @internal whether the layer's teardown is still owed; if so it is no longer (the caller runs it) */
  leaveTeardownLayer(layer: OwedTeardown): boolean {
    const owed = this.#pendingTeardowns
    const at = owed === null ? -1 : owed.lastIndexOf(layer)
    if (at < 0) return false
    owed!.splice(at, 1)
    return true
  }

  /** @internal the teardowns still owed, innermost last; none are owed afterwards */
  takePendingTeardowns(): OwedTeardown[] | null {
    const owed = this.#pendingTeardowns
    this.#pendingTeardowns = null
    return owed
  }

  /** @internal engine `RequestHolder`: the engine answered for this request (lifecycle/abandon.ts). */
  abandon(reason: unknown): void {
    if (this.abandoned) return
    this.abandoned = true
    void this.app.releaseAbandoned(this, reason)
  }

  /** Ends the request's resources: uncollected backend calls, unsaved temporary uploads. */
  override close(): void {
    super.close()
    if (this.#uploads !== NO_UPLOADS) {
      for (const f of this.#uploads) f.discard()
      this.#uploads = NO_UPLOADS
    }
  }
}

const NO_PARAMS: Record<string, string | number> = Object.freeze(Object.create(null))
const NO_UPLOADS: UploadedFile[] = Object.freeze([]) as unknown as UploadedFile[]
