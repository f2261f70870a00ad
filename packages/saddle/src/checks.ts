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
import type { Route, RouteCheck } from './route.js'
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
 * path for requests without one (lifecycle/route-plan.ts `onlyCrossOrigin`).
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

function collect(factories: RouteCheckFactory[], route: Route, app: Saddle): RouteCheck[] {
  const out: RouteCheck[] = []
  for (const f of factories) {
    const c = f(route, app)
    if (c !== null) out.push(c)
  }
  return out
}

/** The route's checks by stage, for its plan (lifecycle/route-plan.ts). */
export function collectRouteChecks(
  route: Route,
  app: Saddle,
): { origin: RouteCheck[]; beforeBody: RouteCheck[]; afterBody: RouteCheck[] } {
  return {
    origin: collect(originFactories, route, app),
    beforeBody: collect(beforeBodyFactories, route, app),
    afterBody: collect(afterBodyFactories, route, app),
  }
}
