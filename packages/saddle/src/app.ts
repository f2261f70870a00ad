import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { tmpdir } from 'node:os'
import { basename, dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type MountInfo, type RequestContext, SKITAI_APP, type SkitaiApp, type UpgradeControl } from '@skitai/engine'
import { type AliasOptions, type AliasType, type Cluster, makeCluster } from '@skitai/was'
import type nunjucks from 'nunjucks'
import { securityChecks } from './auth/checks.js'
import type { SaddleConfig } from './contract.js'
import type { ErrorInfo } from './error-pages.js'
import { leaveBroadcast } from './events.js'
import type { AppStage, LifecycleApp, RouterEntry } from './lifecycle/app-of.js'
import { compileAppStages, handleRequest } from './lifecycle/handle-request.js'
import { compilePlan } from './lifecycle/route-plan.js'
import { type CallInput, invokeRoute } from './lifecycle/run-route.js'
import { runLifecycle } from './mount-hooks.js'
import { buildUrlFor } from './url-builder.js'
import { releaseAbandoned } from './lifecycle/abandon.js'
import { buildOpenApi } from './openapi/document.js'
import { addOpenApiPage, type OpenApiPageOptions } from './openapi/page.js'
import type { OpenApiDocument, OpenApiInfo } from './openapi/types.js'
import { type ErrorHandler, Package } from './package.js'
import { type AppGate, compileAppGates, type PluginOf } from './plugin.js'
import type { Route, RouteMatch } from './route.js'
import { Router, type RouterResult } from './router.js'
import { type StateServices, stateServices } from './state/services.js'
import { createEnvironment } from './templates.js'
import { takeUpgrade } from './websocket/handshake.js'
import { websocketRoutes } from './websocket/index.js'
import { SaddleWas } from './saddle-was.js'

/** A plugin for Saddle apps (README "Plugins", plugin.ts). */
export type SaddlePlugin = PluginOf<Saddle>

const MB = 1024 * 1024

/**
 * A Saddle app (README): routes whose arguments are filled by name, `was` in every handler, hooks,
 * packages, templates, uploads. Mount it on the engine (`skitai.mount('/', app)`) or test it in-process
 * with `skitai.testClient(app)`.
 */
export class Saddle extends Package implements SkitaiApp, LifecycleApp {
  readonly [SKITAI_APP] = true as const
  /** Name under which other apps find it (`was.apps[name]`, `'name:route'`). */
  name: string
  /** The app's root directory (from `import.meta.url`). */
  readonly root: string
  /** Stack traces in error pages and error logs; template reloading. */
  debug = false
  useReloader = false
  /** Sealing key for sessions, tokens, JWT (≥ 32 characters). */
  securekey: string | null = null
  sessionTimeout = 1200
  /** App-wide WWW-Authenticate scheme and its settings (README "Cookies, sessions, tokens, auth, CORS", read by the auth modules). */
  authenticate: 'basic' | 'digest' | 'bearer' | null = null
  realm = 'Saddle'
  users: Record<string, string> | null = null
  accessControlAllowOrigin: string[] | null = null
  accessControlMaxAge = 0
  /** HMAC algorithms accepted for JWTs; the first one signs (auth/jwt.ts). */
  jwtAlgorithms: string[] = ['HS256']
  /** Digest challenges offered, in preference order, and the nonce lifetime in seconds (auth/digest.ts). */
  digestAlgorithms: ('MD5' | 'SHA-256')[] = ['MD5', 'SHA-256']
  digestNonceTimeout = 300
  /** @internal set by `authorizationHandler(fn)` / `bearerHandler(fn)` */
  authorizationFn: ((was: SaddleWas, username: string) => unknown) | null = null
  bearerFn: ((was: SaddleWas, token: string) => unknown) | null = null
  /** More template directories, searched after `templates/`. */
  templateDirs: string[] = []
  readonly config: SaddleConfig
  /** Packages in the order they were added. */
  readonly packages: Package[] = []
  /** The mount point ('' for '/'). */
  basePath = ''
  /** Line sink for `was.log` and error logs; default stderr/stdout. */
  logger: ((line: string, level: string) => void) | null = null
  /** @internal route names → route and package prefix */
  readonly routeNames = new Map<string, { route: Route; prefix: string }>()
  /** @internal the app gates of the installed plugins (compiled) */
  appGates: readonly AppGate[] = []
  /** @internal the app stages every request walks before its route is looked up (compiled) */
  appStages: readonly AppStage[] = []
  /** @internal the app's and its packages' routes in one router (compiled) */
  private _appRouter: Router<RouterEntry> = new Router()
  /** @internal installed plugins, in order (`use`) */
  readonly installedPlugins: SaddlePlugin[] = []
  /** @internal what `was.cookie`, `was.session`, `was.mkjwt`, … are made of */
  readonly stateServices: StateServices = stateServices
  /** @internal app-private aliases (`app.alias`), by name without '@' */
  ownAliases: Map<string, Cluster> | null = null
  private _compiled = false
  private _mountInfo: MountInfo | null = null
  private _env: nunjucks.Environment | null = null

  /** `root`: `import.meta.url` of the app module (or a directory path). */
  constructor(root: string, options: { name?: string } = {}) {
    super()
    this.ownerApp = this
    const file = root.startsWith('file:') ? fileURLToPath(root) : root
    const isFile = extname(file) !== ''
    this.root = isFile ? dirname(file) : file
    this.name = options.name ?? basename(file, extname(file))
    this.config = {
      maxPostBodySize: 5 * MB,
      maxMultipartBodySize: 20 * MB,
      maxUploadFileSize: 20 * MB,
      uploadTempDir: join(tmpdir(), 'skitai-uploads'),
      trustedProxies: ['127.0.0.1', '::1'],
      asyncContext: false,
      defaultRequestType: null,
    }
    this.use(securityChecks).use(websocketRoutes)
  }

  /**
   * Installs a plugin: its app gate and route checks join every route's plan when the app is compiled
   * (README "Plugins"). Installing the same plugin again does nothing.
   */
  use(plugin: SaddlePlugin): this {
    if (!this.installedPlugins.includes(plugin)) {
      this.installedPlugins.push(plugin)
      this.invalidateCompiled()
    }
    return this
  }

  /** Where basic/digest auth gets a user's password: `(was, username) => password | undefined` (may be async). */
  authorizationHandler(fn: (was: SaddleWas, username: string) => unknown, _context?: unknown): any {
    this.authorizationFn = fn
    return fn
  }

  /** Checks a bearer token after JWT verification: `(was, token) => undefined | 'error text'` (may be async). */
  bearerHandler(fn: (was: SaddleWas, token: string) => unknown, _context?: unknown): any {
    this.bearerFn = fn
    return fn
  }

  /**
   * An alias private to this app (was README "Aliases"): `app.alias('@name', PROTO_HTTP, members, options)`, same
   * arguments as `skitai.alias`. Inside this app's handlers it is preferred over a server-wide alias of
   * the same name. Registering a name again replaces it.
   */
  alias(name: string, type: AliasType, members: string | string[], options: AliasOptions = {}): Cluster {
    const c = makeCluster(name, type, members, options)
    const own = (this.ownAliases ??= new Map())
    const old = own.get(c.name)
    own.set(c.name, c)
    if (old !== undefined) void old.close()
    return c
  }

  /** `templates/` beside the app module. */
  get templatesDir(): string {
    return join(this.root, 'templates')
  }

  /**
   * Adds a package: `addPackage(pkg, { prefix: '/v1', ns: 'v1' })` or `addPackage(await import('./sub.js'))`
   * for a module exporting `package`. Its routes are tried after the app's own.
   */
  addPackage(pkg: Package | { package: Package }, options: { prefix?: string; ns?: string } = {}): Package {
    const p = pkg instanceof Package ? pkg : pkg.package
    if (!(p instanceof Package)) throw new TypeError('addPackage: expected a Package or a module exporting `package`')
    if (p === this) throw new Error('an app cannot be added to itself')
    let prefix = options.prefix ?? ''
    if (prefix !== '' && !prefix.startsWith('/')) prefix = `/${prefix}`
    prefix = prefix.replace(/\/+$/, '')
    p.attachTo(this, prefix, options.ns ?? '')
    this.packages.push(p)
    for (const r of p.packageRoutes) this.registerRouteName(r)
    this.invalidateCompiled()
    return p
  }

  /** @internal */
  registerRouteName(route: Route): void {
    // First come keeps a name, except that an explicit `name` option wins over a derived one.
    const old = this.routeNames.get(route.fullName)
    if (old === undefined || (route.explicitName && !old.route.explicitName)) {
      this.routeNames.set(route.fullName, { route, prefix: route.owner.prefix })
    }
    this.invalidateCompiled()
  }

  /** @internal */
  invalidateCompiled(): void {
    this._compiled = false
  }

  /**
   * @internal Compiles the app: its stages, every route's plan (hook layers, checks, guards), and one
   * router holding the app's routes and then each package's under its prefix (first rule wins).
   */
  _compile(): void {
    this.appGates = compileAppGates(this)
    this.appStages = compileAppStages(this.appGates)
    const router = new Router<RouterEntry>()
    for (const owner of [this as Package, ...this.packages]) {
      const prefix = owner === this ? '' : owner.prefix
      for (const r of owner.packageRoutes) {
        r.plan = compilePlan(r, this)
        const rule = prefix + r.path
        const group = owner.packageRouter.get(r.path)!
        if (router.get(rule)?.group !== group)
          router.addUnlessTaken(rule, { group, prefix }, { optionalLastVar: r.optionalLastVar })
      }
    }
    this._appRouter = router
    this._compiled = true
  }

  /** @internal */
  ensureCompiled(): void {
    if (!this._compiled) this._compile()
  }

  /** @internal the app's and its packages' routes for `path` (compiled once, see `_compile`). */
  findRoute(path: string): RouterResult<RouterEntry> {
    return this._appRouter.find(path)
  }

  /**
   * The route for `path` (relative to the app's mount point, raw, starting with '/'), checking the
   * packages too; `route` is null when the rule exists but not for `method` (→ 405, `group.allow`).
   * Null when nothing matches (redirects count as no match). Used by the RPC dispatcher.
   */
  resolveRoute(path: string, method = 'POST'): RouteMatch | null {
    this.ensureCompiled()
    const r = this.findRoute(path)
    if (r === null || r.kind !== 'match') return null
    const { group, prefix } = r.value
    return { group, route: group.forMethod(method), params: r.params, base: this.basePath + prefix }
  }

  /**
   * Runs a matched route the way an HTTP request does — route checks, hooks, guards, argument builder —
   * and returns the handler's raw value without writing it (RPC). `input.args` are by-name values
   * (they become `was.request.args` with the URL variables), `input.positional` fill the parameters in
   * order. Throws HttpError for statuses and other errors for 500.
   */
  invokeRoute(was: SaddleWas, match: RouteMatch, input: CallInput = {}): Promise<unknown> {
    return invokeRoute(was, match, input)
  }

  /** Routes of the app and its packages (name, rule, doc, parameter names). */
  override listRoutes(): ReturnType<Package['listRoutes']> {
    return [this as Package, ...this.packages].flatMap((p) => Package.prototype.listRoutes.call(p))
  }

  /**
   * An OpenAPI 3.1 document of the app's routes (README "OpenAPI"): `app.route('/openapi.json', (was) =>
   * was.app.openapi({ title: 'Notes', version: '1.0.0' }))` serves it.
   */
  openapi(info?: Partial<OpenApiInfo>): OpenApiDocument {
    return buildOpenApi(this, info)
  }

  /** A browsable API page (Swagger UI from node_modules) at `path` for the document at `options.spec`. */
  openapiPage(path: string, options?: OpenApiPageOptions): this {
    addOpenApiPage(this, path, options)
    return this
  }

  /** `app.buildUrl(name, ...args, kwargs?)` (README "URL building"). */
  buildUrl(name: string, ...args: unknown[]): string {
    return buildUrlFor(this, name, args, null)
  }

  /** The compiled nunjucks template `name` from the app's template directories. */
  getTemplate(name: string): nunjucks.Template {
    return (this._env ??= createEnvironment(this)).getTemplate(name, true)
  }

  /** The nunjucks environment (add filters and globals here). */
  get templateEnv(): nunjucks.Environment {
    return (this._env ??= createEnvironment(this))
  }

  /** All mounted Saddle apps by name (this one included). */
  mountedApps(): Record<string, Saddle> {
    const out: Record<string, Saddle> = Object.create(null)
    const apps = this._mountInfo?.engine.apps
    if (apps !== undefined) for (const k of Object.keys(apps)) if (apps[k] instanceof Saddle) out[k] = apps[k] as Saddle
    if (out[this.name] === undefined) out[this.name] = this
    return out
  }

  /** The server's status report (`was.status()`, README "Status page and metrics"). */
  /** @internal the engine answered for a request of this app (lifecycle/abandon.ts). */
  releaseAbandoned(was: SaddleWas, reason: unknown): Promise<void> {
    return releaseAbandoned(was, reason)
  }

  serverStatus(): Promise<unknown> {
    const engine = this._mountInfo?.engine
    if (engine?.status === undefined)
      return Promise.reject(new Error('was.status(): the app is not mounted on a Skitai engine'))
    return engine.status()
  }

  // ---- the engine contract ----

  async mount(info: MountInfo): Promise<void> {
    this._mountInfo = info
    this.basePath = info.point
    await runLifecycle(this, 'beforeMount')
    this._compile()
    await runLifecycle(this, 'mounted')
  }

  handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void {
    handleRequest(this, req, res, ctx)
  }

  /** WebSocket upgrade (engine contract): the handshake of a WebSocket route (websocket/handshake.ts). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RequestContext, control?: UpgradeControl): boolean {
    return takeUpgrade(this, req, socket, head, ctx, control)
  }

  async unmount(): Promise<void> {
    await runLifecycle(this, 'beforeUmount')
    await runLifecycle(this, 'umounted')
    leaveBroadcast(this)
    for (const p of this.packages) leaveBroadcast(p)
    // Close the private aliases' connection pools; a member reopens its pool if the app is mounted again.
    if (this.ownAliases !== null) await Promise.all([...this.ownAliases.values()].map((c) => c.close()))
  }

  /** Runs `beforeReload`, recompiles, then `reloaded` (the engine's reloader calls it). */
  async reload(): Promise<void> {
    await runLifecycle(this, 'beforeReload')
    this._compile()
    await runLifecycle(this, 'reloaded')
  }

  // ---- errors and logs ----

  /** @internal the custom error page for `code`: the route owner's, then the app's. */
  errorHandlerFor(code: number, route: Route | null): ErrorHandler | null {
    const owner = route?.owner
    return (
      owner?.errorHandlersByStatus.get(code) ??
      this.errorHandlersByStatus.get(code) ??
      owner?.fallbackErrorHandler ??
      this.fallbackErrorHandler ??
      null
    )
  }

  log(line: string, level = 'info'): void {
    if (this.logger !== null) {
      this.logger(line, level)
      return
    }
    const engineLog = this._mountInfo?.log
    if (engineLog !== undefined) {
      engineLog(line, level === 'error' || level === 'warn' ? level : 'info')
      return
    }
    if (level === 'error' || level === 'warn') console.error(`[${level}] ${line}`)
    else console.log(`[${level}] ${line}`)
  }

  /** Logs an error with its stack and the request's transaction id. */
  logError(error: unknown, was?: SaddleWas, context?: string): void {
    const where = was === undefined ? '' : `[${was.txnid()}] ${was.nodeRequest?.method ?? ''} ${was.uri} `
    const what = error instanceof Error ? (error.stack ?? error.message) : String(error)
    this.log(`${where}${context === undefined ? '' : `${context}: `}${what}`, 'error')
  }

  /** @internal a `was` with no request, for lifecycle hooks. */
  idleWas(): SaddleWas {
    return new SaddleWas(this, null as any, null as any, {
      mountPoint: this.basePath,
      path: '',
      search: '',
      gtxnid: 'lifecycle',
      ltxnid: 1000,
      startTime: 0,
      user: null,
      route: null,
      maxBodySize: 0,
      hasBody: false,
      hasOrigin: false,
      asyncId: 0,
      acceptEncoding: undefined,
      conditional: false,
      compression: null,
      holder: null,
    })
  }
}

export type { ErrorInfo, SaddleConfig }
