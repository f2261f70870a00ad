/**
 * How a feature adds checks to an app (README "Plugins", ARCHITECTURE.md "How a feature plugs in"): a
 * `SaddlePlugin` installed with `app.use(plugin)`. The Saddle constructor installs the built-in
 * security checks (auth/checks.ts: authentication, CORS, CSRF) this way. Each factory runs when the app
 * is compiled — per app for the gate, per route for the checks — and returns null when it has nothing
 * to check there, so a route pays only for what applies to it.
 *
 *  - An app gate runs for every request of the app before the route is resolved and before the body is
 *    read (`app.authenticate`, CORS for the whole app).
 *  - Route checks run after the route matched: 'origin' checks (CORS) act only on cross-origin requests
 *    and preflights; 'beforeBody' checks (route `authenticate`) run before the body is read, 'afterBody'
 *    checks (`csrfVerify`) once the arguments are loaded.
 *
 * A gate or check returns undefined to go on, or a value that is written as the response (the handler
 * and hooks do not run); it may throw an HttpError (401 with `WWW-Authenticate`, 403, 400).
 */
import type { Route, RouteCheck } from './route.js'
import type { SaddleWas } from './saddle-was.js'

export type AppGate = (was: SaddleWas) => unknown

/**
 * Marks a route check that only plain HTTP requests go through, not the WebSocket handshake (the 426
 * of a WebSocket route): `check[PLAIN_HTTP_ONLY] = true`.
 */
export const PLAIN_HTTP_ONLY: unique symbol = Symbol('saddle.plainHttpOnly')

/**
 * A plugin for apps of type `App`: `SaddlePlugin` (app.ts) is `PluginOf<Saddle>`; the built-in ones
 * need only an object (`PluginOf<object>`). Generic so that this file need not import the app.
 */
export interface PluginOf<App> {
  /** Names the plugin in errors; a plugin is installed once per app. */
  readonly name: string
  appGate?(app: App): AppGate | null
  originCheck?(route: Route, app: App): RouteCheck | null
  beforeBodyCheck?(route: Route, app: App): RouteCheck | null
  afterBodyCheck?(route: Route, app: App): RouteCheck | null
}

/** An app with plugins installed (`Saddle`). */
export interface PluginHost<App> {
  readonly installedPlugins: readonly PluginOf<App>[]
}

/** The app's gates, from its plugins in installation order. */
export function compileAppGates<App extends PluginHost<App>>(app: App): AppGate[] {
  const out: AppGate[] = []
  for (const p of app.installedPlugins) {
    const g = p.appGate?.(app) ?? null
    if (g !== null) out.push(g)
  }
  return out
}

type CheckStage = 'originCheck' | 'beforeBodyCheck' | 'afterBodyCheck'

function collect<App extends PluginHost<App>>(stage: CheckStage, route: Route, app: App): RouteCheck[] {
  const out: RouteCheck[] = []
  for (const p of app.installedPlugins) {
    const c = p[stage]?.(route, app) ?? null
    if (c !== null) out.push(c)
  }
  return out
}

/** The route's checks by stage, for its plan (lifecycle/route-plan.ts). */
export function collectRouteChecks<App extends PluginHost<App>>(
  route: Route,
  app: App,
): { origin: RouteCheck[]; beforeBody: RouteCheck[]; afterBody: RouteCheck[] } {
  return {
    origin: collect('originCheck', route, app),
    beforeBody: collect('beforeBodyCheck', route, app),
    afterBody: collect('afterBodyCheck', route, app),
  }
}
