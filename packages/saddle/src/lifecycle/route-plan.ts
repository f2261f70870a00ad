/**
 * Each route's plan, compiled once when the app is compiled (first mount or first request, again after
 * a registration change). The plan is the ordered list of stages a request to the route walks through
 * `runUntilAnswer` (see ARCHITECTURE.md, "The request path"):
 *
 *   origin checks (CORS) → before-body checks (route `authenticate`) → body and arguments (415 for a
 *   refused media type) → after-body checks (`csrfVerify`) → the core: hook layers → guards → handler.
 *
 * A route with no hooks, checks or guards has no stage that can be asynchronous unless its request has
 * a body, so it is answered synchronously — `bare` and `simple` describe that, they select no code.
 */
import { collectRouteChecks, PLAIN_HTTP_ONLY, type PluginHost } from '../plugin.js'
import { compileLayer, type HookLayer } from '../hooks.js'
import { TESTPASS } from '../package.js'
import type { Route, RouteCheck, RoutePackage, RoutePlan, RouteStage } from '../route.js'
import { HttpError } from '@skitai/was'
import { handlerScope } from '@skitai/engine'
import type { SaddleWas } from '../saddle-was.js'
import { routeOf } from './app-of.js'
import { runLayers } from './hook-layers.js'
import { isThenable } from '../thenable.js'
import { runUntilAnswer } from './run-until-answer.js'

export type { RoutePlan, RouteStage }

/** What compiling a route's plan needs of its app (`Saddle`): its plugins, hooks and guards. */
export interface PlanningApp<App> extends PluginHost<App>, RoutePackage {}

export function compilePlan<App extends PlanningApp<App>>(route: Route, app: App): RoutePlan {
  const layers: HookLayer[] = []
  const appLayer = compileLayer(app.hookSet)
  if (appLayer !== null) layers.push(appLayer)
  if (route.owner !== app) {
    const pkgLayer = compileLayer(route.owner.hookSet)
    if (pkgLayer !== null) layers.push(pkgLayer)
  }
  const guards = compileGuards(route, app)
  const checks = collectRouteChecks(route, app)
  const originStages = checks.origin.map(onlyCrossOrigin)
  const body = route.contentTypes !== null || route.builder.takesInput ? [readBodyArgs] : []
  const stages = [...originStages, ...checks.beforeBody, ...body, ...checks.afterBody]
  const callStages = [...originStages, ...checks.beforeBody, ...checks.afterBody]
  const bare = layers.length === 0 && guards === null && checks.beforeBody.length + checks.afterBody.length === 0
  // guards, then the handler; inside the hook layers when there are any
  const inner =
    guards === null ? callHandlerOf : (was: SaddleWas) => runUntilAnswer(guards, was, routeOf(was), callHandler)
  const core: RouteStage =
    layers.length === 0 ? (guards === null ? callHandler : inner) : (was) => runLayers(was, layers, 0, inner)
  return {
    stages,
    callStages,
    checksBeforeBody: [
      ...originStages,
      ...checks.beforeBody.filter((c) => (c as { [PLAIN_HTTP_ONLY]?: boolean })[PLAIN_HTTP_ONLY] !== true),
    ],
    core,
    layers: layers.length === 0 ? null : layers,
    guards,
    originChecks: originStages.length > 0,
    bare,
    simple: bare && route.contentTypes === null && !route.builder.takesInput,
  }
}

/**
 * An origin (CORS) check acts only on a request with an `Origin` header or a preflight (OPTIONS); the
 * test here spares every same-origin request the call.
 */
function onlyCrossOrigin(check: RouteCheck): RouteStage {
  return (was, route) =>
    was.requestContext.hasOrigin || was.nodeRequest.method === 'OPTIONS' ? check(was, route) : undefined
}

/** Goes on once the body arguments are loaded. */
const toNext = (): undefined => undefined

/**
 * The body stage: 415 for a media type the route does not accept, then the body read as arguments when
 * the handler takes input (already done for a JSON POST the RPC stage parsed).
 */
function readBodyArgs(was: SaddleWas, route: Route): unknown {
  if (!was.requestContext.hasBody) return undefined
  const request = was.request
  if (route.contentTypes !== null && !route.contentTypes.has(request.contentType ?? '')) {
    throw new HttpError(415, 'Unsupported Media Type', {
      detail: `this route accepts ${[...route.contentTypes].join(', ')}`,
    })
  }
  if (!route.builder.takesInput || request.bodyArgsLoaded) return undefined
  return request.loadBodyArgs().then(toNext)
}

/**
 * The handler, called in a scope of its own so that an exception thrown in a timer it sets still
 * reaches this request without AsyncLocalStorage (engine `handlerScope`).
 */
export function callHandler(was: SaddleWas, route: Route): unknown {
  // the engine answered while the body or a hook was pending (lifecycle/abandon.ts): not started at all
  if (was.abandoned) return null
  return handlerScope(was.requestContext, invokeHandler, was, route)
}

/** The handler with its arguments built; fixed arities avoid a spread call. */
function invokeHandler(was: SaddleWas, route: Route): unknown {
  const b = route.builder
  const request = was.builtRequest
  let v: unknown[]
  // Arguments someone read or set (a hook, an RPC call) are final; otherwise built straight from the sources.
  if (request !== null && request.argsIfMerged !== null) v = b.build(request.args)
  else if (b.takesInput) {
    v = b.buildFrom(
      was.routeParams,
      was.requestContext.search === '' ? null : was.request.query,
      request?.bodyArgs ?? null,
    )
  } else v = b.build(was.routeParams)
  const h = route.handler
  const t = route.thisArg
  switch (v.length) {
    case 0:
      return h.call(t, was)
    case 1:
      return h.call(t, was, v[0])
    case 2:
      return h.call(t, was, v[0], v[1])
    case 3:
      return h.call(t, was, v[0], v[1], v[2])
    case 4:
      return h.call(t, was, v[0], v[1], v[2], v[3])
    default:
      return h.call(t, was, ...v)
  }
}

const callHandlerOf = (was: SaddleWas): unknown => callHandler(was, routeOf(was))

/** loginRequired / permissionRequired / testpass → guards run right before the handler. */
function compileGuards(route: Route, app: RoutePackage): RouteCheck[] | null {
  const out: RouteCheck[] = []
  const o = route.options
  const owner = route.owner
  if (o.loginRequired) {
    const login = owner.loginGuard ?? app.loginGuard
    if (login === null) throw new Error(`route '${route.path}' has loginRequired but no loginHandler is set`)
    out.push((was) => login(was))
  }
  if (o.permissionRequired !== undefined) {
    const perm = owner.permissionGuard ?? app.permissionGuard
    if (perm === null) throw new Error(`route '${route.path}' has permissionRequired but no permissionHandler is set`)
    const perms = Object.freeze([...o.permissionRequired])
    out.push((was) => perm(was, perms))
  }
  const test = o.testpass ?? (route.handler as { [TESTPASS]?: unknown })[TESTPASS]
  if (typeof test === 'function') {
    const decide = (v: unknown) => {
      if (v === undefined || v === true) return undefined
      if (v === false) throw new HttpError(403, 'Forbidden', { detail: 'the test of this route did not pass' })
      return v
    }
    out.push((was) => {
      const r = test(was)
      return isThenable(r) ? r.then(decide) : decide(r)
    })
  }
  return out.length === 0 ? null : out
}
