/**
 * Saddle's leaf contract (ARCHITECTURE.md, "Dependency rules"): the types that `was` (saddle-was.ts) and
 * the files below it — request, response, URL building, templates, events — need of the app, its routes
 * and its WebSocket connections, as interfaces that `Saddle`, `Route` and the WebSocket connection
 * implement. It imports no Saddle file that imports it back, so no import cycle runs through a type.
 * Interfaces taking `W` are written for `was` = `SaddleWas` (which then names itself, not this file).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Cluster } from '@skitai/was'
import type nunjucks from 'nunjucks'
import type { ApiResult } from './api.js'
import type { ArgBuilder } from './arg-builder.js'
import type { RuleInfo } from './router.js'
import type { CookieJar } from './state/cookie.js'
import type { MessageBox } from './state/mbox.js'
import type { Session } from './state/session.js'
import type { UploadedFile } from './upload.js'

/** Per-app limits and settings (engine README). */
export interface SaddleConfig {
  /** JSON, urlencoded and XML bodies (bytes). */
  maxPostBodySize: number
  /** Whole multipart bodies (bytes). */
  maxMultipartBodySize: number
  /** Each uploaded file (bytes). */
  maxUploadFileSize: number
  /** Where uploads are streamed before `save()`. */
  uploadTempDir: string
  /** Peers whose `X-Forwarded-For`/`-Proto` are believed (`getRemoteAddr`, `scheme`). */
  trustedProxies: string[]
  /**
   * Run requests inside AsyncLocalStorage so `import { was } from '@skitai/was'` also works in Saddle
   * handlers. Off by default: on Node 20 it cost about 25 % of hello-world throughput in our measure
   * (async_hooks promise tracking); Saddle handlers get `was` as their first argument anyway.
   */
  asyncContext: boolean
  /**
   * [request content type, accepted type] of this app's `was.get/post/…` calls (was README); null uses
   * the server-wide default (`['application/json', 'application/json']`).
   */
  defaultRequestType: readonly [string, string] | null
  [other: string]: unknown
}

/** The kind of RPC call a POST may be, recognised once from its Content-Type (rpc/index.ts). */
export type RpcKind = 'xmlrpc' | 'jsonrpc' | 'maybe-jsonrpc'

/** The app or package a route belongs to, as URL building sees it (`Package` implements it). */
export interface RouteOwner {
  /** The package's URL prefix ('' for the app's own routes). */
  readonly prefix: string
  /** The package's name space for route names ('' for none). */
  readonly ns: string
}

/** A route as `was.route` shows it; `Route` (route.ts) adds the handler, its owner and its plan. */
export interface RouteInfo {
  readonly rule: RuleInfo
  /** The URL rule as given to `route()`, without the package prefix. */
  readonly path: string
  /** Name within its owner; `fullName` adds the package namespace (`v1.owners`). */
  readonly name: string
  readonly fullName: string
  /** Whether the name came from `options.name` (it then wins over a derived name). */
  readonly explicitName: boolean
  readonly builder: ArgBuilder
  /** The route's options as given to `route()` (`RouteOptions`). */
  readonly options: { readonly [option: string]: unknown }
  /** Upper-case methods, or null for any. */
  readonly methods: readonly string[] | null
  /** Lower-case media types, or null for any. */
  readonly contentTypes: ReadonlySet<string> | null
  readonly optionalLastVar: boolean
  /** The app or package that registered it. */
  readonly owner: RouteOwner
}

/** What `was`'s state members are made of; one object per app (`app.stateServices`, state/services.ts). */
export interface StateServicesOf<W> {
  cookie(was: W): CookieJar
  session(was: W): Session
  mbox(was: W): MessageBox
  csrfToken(was: W): string
  csrfTokenInput(was: W): string
  /** Whether the request carries the session's token (header, or the loaded body's fields; never the query). */
  csrfVerify(was: W): boolean
  mkjwt(was: W, claims: Record<string, unknown>, ttlSeconds?: number): string
  dejwt(was: W, token: string): Record<string, unknown> | null
  mktoken(was: W, obj: unknown, timeoutSeconds: number, sessionKey?: string): Promise<string>
  detoken(was: W, token: string): unknown
  rmtoken(was: W, token: string): boolean
  /**
   * Runs right before the response headers are written — on success and on HttpError, skipped after an
   * unhandled exception — when the request touched its cookies, session or messages.
   */
  commit(was: W): void | Promise<void>
}

/**
 * A Saddle app as its requests see it: `was.app`, `was.apps[name]` (`Saddle` implements it). `W` is
 * the app's `was` (`SaddleWas`).
 */
export interface SaddleApp<W = unknown> {
  /** Name under which other apps find it (`was.apps[name]`, `'name:route'`). */
  readonly name: string
  /** The app's root directory (from `import.meta.url`). */
  readonly root: string
  /** The mount point ('' for '/'). */
  readonly basePath: string
  /** Stack traces in error pages and error logs; template reloading. */
  readonly debug: boolean
  /** Sealing key for sessions, tokens, JWT (≥ 32 characters). */
  readonly securekey: string | null
  readonly sessionTimeout: number
  readonly config: SaddleConfig
  /** `templates/` beside the app module. */
  readonly templatesDir: string
  /** More template directories, searched after `templates/`. */
  readonly templateDirs: readonly string[]
  /** The nunjucks environment (add filters and globals here). */
  readonly templateEnv: nunjucks.Environment
  /** The compiled nunjucks template `name` from the app's template directories. */
  getTemplate(name: string): nunjucks.Template
  /** `app.buildUrl(name, ...args, kwargs?)` (README "URL building"). */
  buildUrl(name: string, ...args: unknown[]): string
  /** All mounted Saddle apps by name (this one included). */
  mountedApps(): Record<string, SaddleApp<W>>
  log(line: string, level?: string): void
  /** Logs an error with its stack and the request's transaction id. */
  logError(error: unknown, was?: W, context?: string): void
  /** @internal route names → route and package prefix */
  readonly routeNames: ReadonlyMap<string, { readonly route: RouteInfo; readonly prefix: string }>
  /** @internal what `was.cookie`, `was.session`, `was.mkjwt`, … are made of */
  readonly stateServices: StateServicesOf<W>
  /** @internal app-private aliases (`app.alias`), by name without '@' */
  readonly ownAliases: ReadonlyMap<string, Cluster> | null
  /** @internal compiles the app's stages, plans and router if a change made them stale */
  ensureCompiled(): void
  /** @internal `app.on` handlers (`was.emit`) */
  readonly eventBus: { emit(was: W, name: string, args: unknown[]): Promise<void> }
  /** The engine's status figures (`was.status()`), summed over every worker. */
  serverStatus(): Promise<unknown>
  /** @internal the engine answered in the app's place: run what the request still owes (lifecycle/abandon.ts) */
  releaseAbandoned(was: W, reason: unknown): Promise<void>
}

/** The connection of a WebSocket route: `was.websocket` (README "WebSocket routes"). */
export interface SaddleWebSocket {
  /** The room key (groupchat), else null. */
  readonly room: string | null
  /** The connection's numeric client id (from 0, per process). */
  readonly clientId: number
  /** Whether frames can be sent now. */
  readonly isOpen: boolean
  /** Client ids in this connection's room (groupchat), else just this one. */
  readonly clients: number[]
  /**
   * Sends a value: bytes as a binary frame, a string as text, anything else as JSON text (with
   * encoding 'json' every value is JSON). With `clientId`, to that member of the room (groupchat).
   * False when the connection is closed or its outgoing queue overflowed (it is then closing).
   */
  send(data: unknown, clientId?: number): boolean
  /** To every member of the room (groupchat); elsewhere the same as `send`. */
  sendAll(data: unknown): void
  /** Closes the connection (close frame `code`, `reason`). */
  close(code?: number, reason?: string): void
}

/**
 * `was` as the files below it see it (request.ts, response.ts, url-builder.ts, templates.ts,
 * events.ts): `SaddleWas` implements it.
 */
export interface WasScope {
  readonly app: SaddleApp
  readonly route: RouteInfo | null
  /** URL variables of the matched route (empty until a route matched) */
  readonly routeParams: Record<string, string | number>
  readonly nodeRequest: IncomingMessage
  readonly nodeResponse: ServerResponse
  readonly request: { readonly args: Record<string, unknown> }
  readonly response: { status(code: number): unknown }
  /** the temporary uploads of this request */
  readonly uploads: readonly UploadedFile[]
  /** the list temporary uploads go into */
  uploadList(): UploadedFile[]
  /** a request header without building `was.request` */
  rawHeader(name: string): string | undefined
  API(data?: unknown, status?: number): ApiResult
}
