/**
 * `was.app` and `was.route` as the lifecycle knows them. `SaddleWas` types them by the leaf contract
 * (`SaddleApp`, `RouteInfo`) so that saddle-was.ts imports no file above it (ARCHITECTURE.md,
 * "Dependency rules"); every `was` the lifecycle walks was made by a `Saddle` (handleRequest, idleWas)
 * and enters only that app's `Route`s (`enterRoute`).
 */
import type { Saddle } from '../app.js'
import type { Route } from '../route.js'
import type { SaddleWas } from '../saddle-was.js'

export function appOf(was: SaddleWas): Saddle {
  return was.app as Saddle
}

/** The matched route; only called once a route was entered. */
export function routeOf(was: SaddleWas): Route {
  return was.route as Route
}
