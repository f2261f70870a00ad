import { type ArgBuilder, compileArgBuilder } from './arg-builder.js'
import type { RouteInfo, RouteOwner } from './contract.js'
import type { ErrorInfo } from './error-pages.js'
import type { HookLayer, HookSet } from './hooks.js'
import type { Step } from './lifecycle/run-until-answer.js'
import { parseRule, type Router, type RuleInfo } from './router.js'
import { type HandlerSignature, readSignature } from './signature.js'
import type { SaddleWas } from './saddle-was.js'

/** A route handler: `was` first, then the arguments filled by name (README "Arguments by name"). */
export type Handler = (was: SaddleWas, ...args: any[]) => unknown

/**
 * Options of `app.route(path, options, handler)`. Options other engineers act on (authenticate, cors,
 * csrfVerify, websocket) are kept as given in `route.options` for their route checks.
 */
export interface RouteOptions {
  /** Allowed methods (upper case); any method when absent. An unlisted method → 405 with `Allow`. */
  methods?: string[]
  /** Allowed request media types for requests with a body; another one → 415. */
  contentTypes?: string[]
  /** Name for URL building; default the handler's name (or the rule when the handler is anonymous). */
  name?: string
  /** Parameter names after `was` for handlers whose source cannot be read (minified code). */
  params?: string[]
  /** WWW-Authenticate scheme for this route (README "Cookies, sessions, tokens, auth, CORS"). */
  authenticate?: 'basic' | 'digest' | 'bearer' | boolean
  /** Verify the CSRF token (README "Cookies, sessions, tokens, auth, CORS"). */
  csrfVerify?: boolean
  /** Allowed origins for this route (README "CORS"). */
  cors?: string[] | boolean
  /** Run `app.loginHandler` before the handler. */
  loginRequired?: boolean
  /** Run `app.permissionHandler(was, perms)` before the handler. */
  permissionRequired?: string[]
  /** A test run before the handler: undefined/true continue, false → 403, another value is the response. */
  testpass?: (was: SaddleWas) => unknown
  /** WebSocket route options (README "WebSocket routes", README "WebSocket routes"). */
  websocket?: import('./websocket/options.js').WebSocketOptions
  /** Documentation for `system.methodHelp`, listings and the OpenAPI document (first line: its summary). */
  doc?: string
  /** Parameter types the OpenAPI document cannot read from the code, annotations being erased (README "OpenAPI"). */
  paramTypes?: Record<string, import('./openapi/types.js').ParamType>
  /** `false` leaves the route out of `app.openapi()`. */
  openapi?: boolean
  [other: string]: unknown
}

/** A check run for a route before its hooks (auth, CORS, CSRF); non-undefined return = the response. */
export type RouteCheck = (was: SaddleWas, route: Route) => unknown

/** `app.errorHandler(code, fn)` / `defaultErrorHandler(fn)`: a custom error page. */
export type ErrorHandler = (was: SaddleWas, error: ErrorInfo) => unknown
/** `loginHandler` / `testpass`: undefined to continue, a response to stop. */
export type GuardHandler = (was: SaddleWas) => unknown
/** `permissionHandler(was, perms)`: undefined to continue, a response to stop. */
export type PermissionHandler = (was: SaddleWas, permissions: readonly string[]) => unknown

/** The app or package that registers routes, as its routes see it (`Package` implements it). */
export interface RoutePackage extends RouteOwner {
  /** @internal */ readonly packageRouter: Router<RouteGroup>
  /** @internal */ readonly hookSet: HookSet
  /** @internal */ readonly errorHandlersByStatus: ReadonlyMap<number, ErrorHandler>
  /** @internal */ readonly fallbackErrorHandler: ErrorHandler | null
  /** @internal */ readonly loginGuard: GuardHandler | null
  /** @internal */ readonly permissionGuard: PermissionHandler | null
}

/** A stage of a route's plan: `undefined` to go on, anything else answers the request. */
export type RouteStage = Step<Route>

/** The precomputed per-route plan (lifecycle/route-plan.ts compiles it). */
export interface RoutePlan {
  /** The stages of an HTTP request, in order: checks, body and arguments, checks. */
  readonly stages: readonly RouteStage[]
  /** The same without the body stage: for `invokeRoute` (RPC), whose caller gives the values. */
  readonly callStages: readonly RouteStage[]
  /** The checks before the body (origin, then before-body) a WebSocket handshake goes through. */
  readonly checksBeforeBody: readonly RouteStage[]
  /** The core: hook layers around guards and the handler; its value is the answer whatever it is. */
  readonly core: RouteStage
  /** Hook layers, outermost (app) first; null when no layer has any hook. */
  readonly layers: readonly HookLayer[] | null
  /** loginRequired / permissionRequired / testpass guards run right before the handler; null when none. */
  readonly guards: readonly RouteCheck[] | null
  /** Whether the stages start with origin (CORS) checks, which act only on cross-origin requests. */
  readonly originChecks: boolean
  /** No hook layers, guards or checks other than origin checks: only arguments and the handler. */
  readonly bare: boolean
  /** `bare`, and the handler takes only URL variables: nothing to read from the request at all. */
  readonly simple: boolean
}

/** One registered handler for one rule (and some or all methods). */
export interface Route extends RouteInfo {
  readonly rule: RuleInfo
  /** The URL rule as given to `route()`, without the package prefix. */
  readonly path: string
  /** Name within its owner; `fullName` adds the package namespace (`v1.owners`). */
  readonly name: string
  readonly fullName: string
  /** Whether the name came from `options.name` (it then wins over a derived name). */
  readonly explicitName: boolean
  readonly handler: Handler
  /** `this` for class-method handlers, set when the class is instantiated (decorator initializer). */
  thisArg: unknown
  readonly builder: ArgBuilder
  /** @internal the handler's parameters as read at registration (names, defaults; for app.openapi) */
  readonly signature: HandlerSignature
  readonly options: RouteOptions
  /** Upper-case methods, or null for any. */
  readonly methods: readonly string[] | null
  /** Lower-case media types, or null for any. */
  readonly contentTypes: ReadonlySet<string> | null
  readonly optionalLastVar: boolean
  /** The app or package that registered it. */
  readonly owner: RoutePackage
  /** Set at compile time. */
  plan: RoutePlan | null
}

/** All routes of one rule, by method. One router entry per rule holds one group. */
export class RouteGroup {
  /** Route for any method (registered without `methods`). */
  any: Route | null = null
  readonly byMethod = new Map<string, Route>()
  /** Value of the `Allow` header for 405 answers. */
  allow = ''

  constructor(readonly rule: string) {}

  add(route: Route): void {
    if (route.methods === null) {
      if (this.any !== null) throw new Error(`route ${this.rule} is already registered for any method`)
      this.any = route
    } else {
      for (const m of route.methods) {
        if (this.byMethod.has(m)) throw new Error(`route ${this.rule} is already registered for ${m}`)
        this.byMethod.set(m, route)
      }
    }
    const allow = new Set(this.byMethod.keys())
    if (allow.has('GET')) allow.add('HEAD')
    this.allow = [...allow].join(', ')
  }

  /** The route serving `method` (HEAD falls back to GET), or null → 405. */
  forMethod(method: string): Route | null {
    if (this.byMethod.size !== 0) {
      const r = this.byMethod.get(method) ?? (method === 'HEAD' ? this.byMethod.get('GET') : undefined)
      if (r !== undefined) return r
    }
    return this.any
  }

  routes(): Route[] {
    const out = new Set<Route>(this.byMethod.values())
    if (this.any !== null) out.add(this.any)
    return [...out]
  }
}

/**
 * A resolved route: what `app.resolveRoute(path, method)` returns and `invokeRoute` takes.
 * `route` is null when the rule exists but not for that method (→ 405 with `group.allow`).
 */
export interface RouteMatch {
  readonly group: RouteGroup
  readonly route: Route | null
  /** Decoded URL variables (int/float → number). */
  readonly params: Record<string, string | number>
  /** Mount point + package prefix of the owner: the base of URLs built for this route. */
  readonly base: string
}

/** Normalizes a media-type list once at registration. */
export function normalizeContentTypes(list: string[] | undefined): ReadonlySet<string> | null {
  if (list === undefined || list.length === 0) return null
  return new Set(list.map((t) => t.split(';')[0]!.trim().toLowerCase()))
}

export function normalizeMethods(list: string[] | undefined): readonly string[] | null {
  if (list === undefined || list.length === 0) return null
  return Object.freeze([...new Set(list.map((m) => m.toUpperCase()))])
}

/**
 * A new route of `owner` (what `app.route()` / `pkg.route()` register): the rule parsed, the handler's
 * parameter names read and its argument builder compiled, once; the route joins the owner's router in
 * the group of its rule (one group per rule, routes by method).
 */
export function createRoute(
  owner: RoutePackage,
  path: string,
  options: RouteOptions,
  handler: Handler,
  fnName: string,
): Route {
  if (typeof handler !== 'function') throw new TypeError(`route '${path}': the handler must be a function`)
  const rule = parseRule(path)
  const sig = readSignature(handler, options.params)
  const builder = compileArgBuilder(sig, rule)
  const last = rule.vars.at(-1)
  const optionalLastVar = last !== undefined && sig.params.some((p) => p.name === last.name && p.hasDefault)
  const name = options.name ?? (fnName || defaultName(rule.literalPrefix))
  const route: Route = {
    rule,
    path,
    name,
    fullName: owner.ns === '' ? name : `${owner.ns}.${name}`,
    explicitName: options.name !== undefined,
    handler,
    thisArg: undefined,
    builder,
    signature: sig,
    options,
    methods: normalizeMethods(options.methods),
    contentTypes: normalizeContentTypes(options.contentTypes),
    optionalLastVar,
    owner,
    plan: null,
  }
  const group = owner.packageRouter.get(path)
  if (group === undefined) {
    const created = new RouteGroup(path)
    created.add(route)
    owner.packageRouter.add(path, created, { optionalLastVar })
  } else group.add(route)
  return route
}

/** The name of a route whose handler is anonymous: its literal prefix, `/` → `_` (`/add` → `add`, `/` → `index`). */
function defaultName(literalPrefix: string): string {
  const trimmed = literalPrefix.replace(/^\/+|\/+$/g, '')
  return trimmed === '' ? 'index' : trimmed.replace(/\//g, '_')
}
