/**
 * The app as the request lifecycle sees it (`LifecycleApp`, which `Saddle` implements), and `was.app` /
 * `was.route` typed for it. `SaddleWas` types them by the leaf contract (`SaddleApp`, `RouteInfo`) so
 * that saddle-was.ts imports no file above it, and these files do not import app.ts, which imports
 * them (ARCHITECTURE.md, "Dependency rules"). Every `was` the lifecycle walks was made by a `Saddle`
 * (handleRequest, idleWas) and enters only that app's `Route`s (`enterRoute`).
 */
import type { SaddleApp } from '../contract.js'
import type { AppGate } from '../plugin.js'
import type { ErrorHandler, Route, RouteGroup } from '../route.js'
import type { RouterResult } from '../router.js'
import type { ListingApp } from '../rpc/system.js'
import type { SaddleWas } from '../saddle-was.js'
import type { Step } from './run-until-answer.js'

/** A stage every request of an app goes through before its route is looked up. */
export type AppStage = Step<undefined>

/** What the app's merged router holds per rule: the rule's routes and the package prefix of their owner. */
export interface RouterEntry {
  readonly group: RouteGroup
  readonly prefix: string
}

/** The app as handle-request.ts, the writer, the RPC stage and the WebSocket handshake use it. */
export interface LifecycleApp extends SaddleApp<SaddleWas>, ListingApp {
  /** @internal the app gates of the installed plugins (compiled) */
  readonly appGates: readonly AppGate[]
  /** @internal the app stages every request walks before its route is looked up (compiled) */
  readonly appStages: readonly AppStage[]
  /** @internal the app's and its packages' routes for `path` */
  findRoute(path: string): RouterResult<RouterEntry>
  /** @internal the custom error page for `code`: the route owner's, then the app's. */
  errorHandlerFor(code: number, route: Route | null): ErrorHandler | null
}

export function appOf(was: SaddleWas): LifecycleApp {
  return was.app as LifecycleApp
}

/** The matched route; only called once a route was entered. */
export function routeOf(was: SaddleWas): Route {
  return was.route as Route
}
