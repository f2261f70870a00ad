/**
 * Seams for the security modules (src/auth): checks they register once, compiled into each route's plan.
 *
 *  - App gates run for every request of an app before the route is resolved and before the body is read
 *    (`app.authenticate`, CORS for the whole app). `registerAppGate(factory)`: the factory is called per
 *    app at compile time and returns a gate or null (nothing to check for that app).
 *  - Route checks run after the route matched: stage 'beforeBody' (route `authenticate`, `cors`, OPTIONS
 *    preflight) before the body is read, stage 'afterBody' (`csrfVerify`) once the arguments are loaded.
 *    `registerRouteCheck(stage, factory)`: the factory is called per route at compile time.
 *
 * A gate or check returns undefined to go on, or a value that is written as the response (the handler
 * and hooks do not run); it may throw an HttpError (401 with `WWW-Authenticate`, 403, 400).
 */
import type { Saddle } from './app.js'
import { type HookLayer, compileLayer } from './hooks.js'
import { TESTPASS } from './package.js'
import type { Route, RouteCheck, RoutePlan } from './route.js'
import { HttpError } from '@skitai/was'
import type { SaddleWas } from './was.js'

export type AppGate = (was: SaddleWas) => unknown
export type AppGateFactory = (app: Saddle) => AppGate | null
export type RouteCheckFactory = (route: Route, app: Saddle) => RouteCheck | null

const appGateFactories: AppGateFactory[] = []
const originFactories: RouteCheckFactory[] = []
const beforeBodyFactories: RouteCheckFactory[] = []
const afterBodyFactories: RouteCheckFactory[] = []

export function registerAppGate(factory: AppGateFactory): void {
  appGateFactories.push(factory)
}

/**
 * Stage 'origin' (CORS) runs first among the 'beforeBody' checks; such a check only acts on requests
 * with an `Origin` header, so a route whose only checks are origin checks keeps the synchronous fast
 * path for requests without one (pipeline.ts `dispatch`).
 */
export function registerRouteCheck(stage: 'origin' | 'beforeBody' | 'afterBody', factory: RouteCheckFactory): void {
  ;(stage === 'origin' ? originFactories : stage === 'beforeBody' ? beforeBodyFactories : afterBodyFactories).push(
    factory,
  )
}

export function compileAppGates(app: Saddle): AppGate[] | null {
  const out: AppGate[] = []
  for (const f of appGateFactories) {
    const g = f(app)
    if (g !== null) out.push(g)
  }
  return out.length === 0 ? null : out
}

function collect(factories: RouteCheckFactory[], route: Route, app: Saddle): RouteCheck[] | null {
  const out: RouteCheck[] = []
  for (const f of factories) {
    const c = f(route, app)
    if (c !== null) out.push(c)
  }
  return out.length === 0 ? null : out
}

/** The per-route plan: hook layers (app, then package), checks and guards, computed once. */
export function compilePlan(route: Route, app: Saddle): RoutePlan {
  const layers: HookLayer[] = []
  const appLayer = compileLayer(app._hooks)
  if (appLayer !== null) layers.push(appLayer)
  if (route.owner !== app) {
    const pkgLayer = compileLayer(route.owner._hooks)
    if (pkgLayer !== null) layers.push(pkgLayer)
  }
  const guards = compileGuards(route, app)
  const originChecks = collect(originFactories, route, app)
  const routeChecks = collect(beforeBodyFactories, route, app)
  const beforeBody =
    originChecks === null ? routeChecks : routeChecks === null ? originChecks : [...originChecks, ...routeChecks]
  const afterBody = collect(afterBodyFactories, route, app)
  // Origin checks only act on requests with an Origin header (or preflights): they do not keep a
  // route off the fast path, pipeline.ts `dispatchRoute` sends such requests the full way instead.
  const bare = layers.length === 0 && guards === null && routeChecks === null && afterBody === null
  return {
    layers: layers.length === 0 ? null : layers,
    beforeBody,
    afterBody,
    guards,
    originChecks: originChecks !== null,
    bare,
    simple: bare && route.contentTypes === null && !route.builder.takesInput,
  }
}

/** loginRequired / permissionRequired / testpass → guards run right before the handler. */
function compileGuards(route: Route, app: Saddle): RouteCheck[] | null {
  const out: RouteCheck[] = []
  const o = route.options
  const owner = route.owner
  if (o.loginRequired) {
    const login = owner._loginHandler ?? app._loginHandler
    if (login === null) throw new Error(`route '${route.path}' has loginRequired but no loginHandler is set`)
    out.push((was) => login(was))
  }
  if (o.permissionRequired !== undefined) {
    const perm = owner._permissionHandler ?? app._permissionHandler
    if (perm === null) throw new Error(`route '${route.path}' has permissionRequired but no permissionHandler is set`)
    const perms = Object.freeze([...o.permissionRequired])
    out.push((was) => perm(was, perms))
  }
  const test = o.testpass ?? (route.handler as any)[TESTPASS]
  if (typeof test === 'function') {
    out.push((was) => {
      const r = test(was)
      const decide = (v: unknown) => {
        if (v === undefined || v === true) return undefined
        if (v === false) throw new HttpError(403, 'Forbidden', { detail: 'the test of this route did not pass' })
        return v
      }
      return r !== null && typeof r === 'object' && typeof (r as any).then === 'function'
        ? (r as Promise<unknown>).then(decide)
        : decide(r)
    })
  }
  return out.length === 0 ? null : out
}
