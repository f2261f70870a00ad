/**
 * The request pipeline: engine → app gates → RPC hand-off → route → checks → arguments → hooks →
 * guards → handler → writer. One pipeline (`runRoute`) with two writers: HTTP (`writeResult`) and RPC
 * (`invokeRoute` returns the raw value to the RPC encoder).
 *
 * Order for an HTTP request (SPEC §2.1–2.4):
 *   1. `ctx.path === ''` (the bare mount point) → 308 to the mount point + '/'.
 *   2. App gates (checks.ts `registerAppGate`: `app.authenticate`, app-wide CORS) — before the route is
 *      resolved and before the body is read.
 *   3. RPC hand-off: a POST whose Content-Type `detectRpc` recognizes goes to `handleRpc(app, was, kind)`
 *      (rpc/index.ts); its reply is written here, or `false` lets the request go on as a plain one.
 *   4. Route lookup: the app's routes, then each package's; 404, 301 (trailing slash), 405 with `Allow`.
 *   5. Route checks, stage 'beforeBody' (checks.ts `registerRouteCheck`: route `authenticate`, `cors`,
 *      OPTIONS preflight), then `contentTypes` (415).
 *   6. Arguments: URL variables + query + body (read only when the route takes input) → `request.args`.
 *   7. Route checks, stage 'afterBody' (`csrfVerify`).
 *   8. Hook layers (hooks.ts `runLayers`): app.before → package.before → [guards: loginRequired,
 *      permissionRequired, testpass] → handler → package.after|failed → package.teardown →
 *      app.after|failed → app.teardown; then `was.temp` callbacks (ok|except, end).
 *   9. Writer (writer.ts): the state commit step `was._commitState()` (was.ts `stateCommitters`: cookies,
 *      session) runs right before the headers are written — on success and on HttpError, not after an
 *      unhandled exception — then one `writeHead` and the body.
 *  10. `was.close()`: uncollected backend calls cancelled, unsaved uploads removed.
 * Routes whose plan is `bare` (no hooks, checks or guards) and requests without a body take a synchronous
 * fast path through the same steps 4, 6, 8 and 9.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestContext } from '@skitai/engine'
import { HttpError, wasStorage } from '@skitai/was'
import type { Saddle } from './app.js'
import { isThenable, runLayers } from './hooks.js'
import type { Route, RouteMatch } from './route.js'
import { detectRpc, handleRpc } from './rpc/index.js'
import { looksLikeJsonRpc } from './rpc/jsonrpc.js'
import { parseJsonBody } from './request.js'
import { SaddleWas } from './was.js'
import { send, writeError, writeRedirect, writeResult } from './writer.js'

export function handleRequest(app: Saddle, req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void {
  // The bare mount point answers 308, except to RPC calls: XML-RPC clients (Python's ServerProxy of
  // 'http://host/rpc2') post there and do not follow redirects (SPEC §2.9).
  if (ctx.path === '' && !(req.method === 'POST' && detectRpc(req.headers['content-type']) !== null)) {
    redirectBareMountPoint(res, ctx)
    return
  }
  app._ensureCompiled()
  const was = new SaddleWas(app, req, res, ctx)
  if (app.config.asyncContext) wasStorage.run(was, dispatch, app, was, req, ctx)
  else dispatch(app, was, req, ctx)
}

/** 308 from the bare mount point ('/rpc2') to the mount point + '/', keeping the query. */
function redirectBareMountPoint(res: ServerResponse, ctx: RequestContext): void {
  writeRedirect(res, 308, `${ctx.mountPoint}/${ctx.search === '' ? '' : `?${ctx.search}`}`, Object.create(null))
}

function dispatch(app: Saddle, was: SaddleWas, req: IncomingMessage, ctx: RequestContext): void {
  try {
    if (app._gates !== null) {
      runFull(app, was, req, ctx)
      return
    }
    if (req.method === 'POST') {
      const kind = detectRpc(req.headers['content-type'])
      if (kind === 'maybe-jsonrpc') {
        // One read of the JSON body decides: a JSON-RPC call goes the RPC way, any other body the
        // route's way (through the fast path when the route has nothing else to run). A body that does
        // not parse, and a POST to the bare mount point, go the full way, which answers them as before.
        was.request._collectBody(afterJsonBody)
        return
      }
      if (kind !== null) {
        runFull(app, was, req, ctx)
        return
      }
    }
    dispatchRoute(app, was, req, ctx)
  } catch (e) {
    fail(was, e)
  }
}

/**
 * A JSON POST's body, read: JSON-RPC goes the RPC way, anything else the route's way (parsed once). A
 * body that could not be read or parsed goes the full way, where `json()` answers the 413/400 (or the
 * JSON-RPC parse error).
 */
function afterJsonBody(was: SaddleWas, error: Error | null, buf: Buffer | null): void {
  const app = was.app
  const req = was._req
  const ctx = was._ctx
  const request = was.request
  request._collected(error, buf)
  if (error === null && (buf as Buffer).length === 0) {
    // an empty body is no arguments (as for any other media type), not malformed JSON
    request._noBodyArgs()
    dispatchRoute(app, was, req, ctx)
    return
  }
  let body: unknown
  try {
    if (error !== null) throw error
    body = parseJsonBody(buf as Buffer)
  } catch {
    runFull(app, was, req, ctx)
    return
  }
  const rpc = looksLikeJsonRpc(body) || ctx.path === ''
  request._tookJson(body, !rpc)
  if (rpc) runFull(app, was, req, ctx)
  else dispatchRoute(app, was, req, ctx)
}

/**
 * Step 4 and the choice of path: a `bare` route (no hooks, checks or guards) runs synchronously when
 * the request has no body to read, or right after its body is read; anything else goes the full way.
 * (The profile of `GET /hello/<int:num>?a=1&b=2` and `POST /add` showed the async full path — five
 * awaiting frames and their microtasks — as the largest cost Saddle adds over node:http.)
 */
function dispatchRoute(app: Saddle, was: SaddleWas, req: IncomingMessage, ctx: RequestContext): void {
  try {
    const route = findRoute(app, was, ctx)
    if (route === null) return
    const plan = route.plan!
    // A cross-origin request (Origin header, or a preflight) goes the full way so that the CORS check
    // (stage 'origin') runs.
    if (plan.bare && (!plan.originChecks || (!ctx.hasOrigin && req.method !== 'OPTIONS'))) {
      if (plan.simple || !ctx.hasBody) {
        fastPath(was, route)
        return
      }
      if (route.contentTypes === null) {
        if (was.request._bodyLoaded) {
          fastPath(was, route)
          return
        }
        was.request._loadBodyArgs().then(
          () => fastPath(was, route),
          (e) => fail(was, e),
        )
        return
      }
    }
    runFull(app, was, req, ctx, route)
  } catch (e) {
    fail(was, e)
  }
}

/**
 * Steps 4: the route for this request, with `was.route` and `was._params` set; or null after answering
 * 404/301/405 itself.
 */
function findRoute(app: Saddle, was: SaddleWas, ctx: RequestContext): Route | null {
  const found = app._lookup(ctx.path)
  if (found === null) {
    fail(was, new HttpError(404, 'Not Found', { detail: `no route for ${ctx.mountPoint}${ctx.path}` }))
    return null
  }
  if (found.kind === 'redirect') {
    const loc = `${ctx.mountPoint}${found.location}${ctx.search === '' ? '' : `?${ctx.search}`}`
    writeRedirect(was._res, 301, loc, Object.create(null))
    return null
  }
  const route = found.group.forMethod(was._req.method ?? 'GET')
  if (route === null) {
    fail(was, new HttpError(405, 'Method Not Allowed', { headers: { Allow: found.group.allow } }))
    return null
  }
  was.route = route
  was._params = found.params
  return route
}

/**
 * Routes with nothing but a handler (no hooks, checks or guards) and no body to read: arguments from
 * the URL variables (and the query when the handler takes input), no async step unless the handler is.
 */
function fastPath(was: SaddleWas, route: Route): void {
  let value: unknown
  try {
    const b = route.builder
    let values: unknown[]
    if (b.takesInput) {
      const request = was.request
      values = b.buildFrom(was._params, was._ctx.search === '' ? null : request.query, request._bodyArgs)
    } else values = b.build(was._params)
    value = invoke(route, was, values)
  } catch (e) {
    if (was._temp !== null) settle(was, Promise.reject(e))
    else fail(was, e)
    return
  }
  if (isThenable(value) || was._temp !== null) return void settle(was, value)
  let w: void | Promise<void>
  try {
    w = writeResult(was, value)
  } catch (e) {
    fail(was, e)
    return
  }
  if (w === undefined) was.close()
  else
    w.then(
      () => was.close(),
      (e) => fail(was, e),
    )
}

/** The handler called with `was` and its arguments; fixed arities avoid a spread call. */
function invoke(route: Route, was: SaddleWas, v: unknown[]): unknown {
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

async function settle(was: SaddleWas, value: unknown): Promise<void> {
  try {
    value = await withTempCallbacks(was, value)
    await writeResult(was, value)
  } catch (e) {
    await writeError(was, e).catch((e2) => lastResort(was, e2))
  }
  was.close()
}

function fail(was: SaddleWas, e: unknown): void {
  writeError(was, e).then(
    () => was.close(),
    (e2) => lastResort(was, e2),
  )
}

function lastResort(was: SaddleWas, e: unknown): void {
  was.app.logError(e, was, 'could not write the error response')
  if (!was._res.headersSent) send(was._res, 500, null, Object.create(null), 'text/plain', 'Internal Server Error')
  else was._res.destroy()
  was.close()
}

async function runFull(app: Saddle, was: SaddleWas, req: IncomingMessage, ctx: RequestContext, route?: Route | null) {
  try {
    if (route === undefined) {
      if (app._gates !== null) {
        for (const gate of app._gates) {
          let r = gate(was)
          if (isThenable(r)) r = await r
          if (r !== undefined) return await finish(was, r)
        }
      }
      if (req.method === 'POST') {
        const kind = detectRpc(req.headers['content-type'])
        if (kind !== null) {
          const reply = await handleRpc(app, was, kind)
          if (reply !== false) {
            const resp = was.response
            resp.status(reply.status)
            resp.setHeader('content-type', reply.contentType)
            return await finish(was, reply.status === 204 ? undefined : reply.body)
          }
        }
      }
      // A JSON POST to the bare mount point that was not JSON-RPC after all: the 308 of any other request.
      if (ctx.path === '') {
        redirectBareMountPoint(was._res, ctx)
        was.close()
        return
      }
      route = findRoute(app, was, ctx)
      if (route === null) return
    }
    const value = await runRoute(was, route!, null)
    await finish(was, value)
  } catch (e) {
    await writeError(was, e).catch((e2) => lastResort(was, e2))
    was.close()
  }
}

async function finish(was: SaddleWas, value: unknown): Promise<void> {
  await writeResult(was, value)
  was.close()
}

/**
 * Steps 5–8 for `was.route` (set, with `was._params`): checks, arguments, hooks, guards, handler.
 * `input` is null for HTTP (arguments from the request) or the RPC call's values.
 */
async function runRoute(
  was: SaddleWas,
  route: Route,
  input: { args?: Record<string, unknown>; positional?: unknown[] } | null,
): Promise<unknown> {
  const plan = route.plan!
  if (plan.beforeBody !== null) {
    for (const check of plan.beforeBody) {
      let r = check(was, route)
      if (isThenable(r)) r = await r
      if (r !== undefined) return r
    }
  }
  const request = was.request
  if (input === null) {
    if (route.contentTypes !== null && hasBody(was._req) && !route.contentTypes.has(request.contentType ?? '')) {
      throw new HttpError(415, 'Unsupported Media Type', {
        detail: `this route accepts ${[...route.contentTypes].join(', ')}`,
      })
    }
    if (route.builder.takesInput) await request._loadBodyArgs()
  } else {
    const named =
      input.positional !== undefined
        ? route.builder.nameValues(input.positional, was._params)
        : mergeInto(was._params, input.args)
    const defaults = route.builder.defaults
    for (const k in defaults) if (!(k in named)) named[k] = defaults[k]
    request._args = named
    request._bodyArgs = named // an RPC call's arguments are its body (the CSRF check reads the token there)
  }
  if (plan.afterBody !== null) {
    for (const check of plan.afterBody) {
      let r = check(was, route)
      if (isThenable(r)) r = await r
      if (r !== undefined) return r
    }
  }
  let value: unknown
  try {
    value = plan.layers === null ? innerCall(was) : runLayers(was, plan.layers, 0, innerCall)
  } catch (e) {
    value = Promise.reject(e)
  }
  return withTempCallbacks(was, value)
}

function mergeInto(params: Record<string, unknown>, args: Record<string, unknown> | undefined) {
  const out: Record<string, unknown> = Object.create(null)
  for (const k of Object.keys(params)) out[k] = params[k]
  if (args !== undefined) for (const k of Object.keys(args)) if (k !== '__proto__') out[k] = args[k]
  return out
}

function hasBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length']
  return (cl !== undefined && cl !== '0') || req.headers['transfer-encoding'] !== undefined
}

/** The innermost step: guards, then the handler with its arguments built. */
function innerCall(was: SaddleWas): unknown {
  const guards = was.route!.plan!.guards
  return guards === null ? callHandler(was) : guardedCall(was, guards)
}

async function guardedCall(was: SaddleWas, guards: NonNullable<NonNullable<Route['plan']>['guards']>) {
  for (const g of guards) {
    let r = g(was, was.route!)
    if (isThenable(r)) r = await r
    if (r !== undefined) return r
  }
  const v = callHandler(was)
  return isThenable(v) ? await v : v
}

function callHandler(was: SaddleWas): unknown {
  const route = was.route!
  const b = route.builder
  const values = b.takesInput || was._request?._args != null ? b.build(was.request.args) : b.build(was._params)
  return invoke(route, was, values)
}

/** Awaits a returned promise and runs `was.temp.bind` callbacks: ok(was, value) | except(was, error), end(was). */
async function withTempCallbacks(was: SaddleWas, value: unknown): Promise<unknown> {
  try {
    if (isThenable(value)) value = await value
  } catch (e) {
    await finishTemp(was, false, e)
    throw e
  }
  await finishTemp(was, true, value)
  return value
}

/** Runs the request's `ok` (or `except`) callbacks, then `end`, once. */
async function finishTemp(was: SaddleWas, ok: boolean, arg: unknown): Promise<void> {
  const t = was._temp
  if (t === null) return
  const first = ok ? t._ok : t._except
  const end = t._end
  t._except = t._end = t._ok = null
  if (first !== null) await runTemp(was, first, arg)
  if (end !== null) await runTemp(was, end, undefined)
}

async function runTemp(was: SaddleWas, fns: ((...a: any[]) => unknown)[], arg: unknown): Promise<void> {
  for (const fn of fns) {
    try {
      const r = arg === undefined ? fn(was) : fn(was, arg)
      if (isThenable(r)) await r
    } catch (e) {
      was.app.logError(e, was, 'was.temp callback failed')
    }
  }
}

/**
 * For the RPC dispatcher (see `Saddle.invokeRoute`): runs a resolved route with by-name or positional
 * values through the same checks, hooks, guards and argument builder, and returns the raw value.
 */
export async function invokeRoute(
  was: SaddleWas,
  match: RouteMatch,
  input: { args?: Record<string, unknown>; positional?: unknown[] },
): Promise<unknown> {
  if (match.route === null) {
    throw new HttpError(405, 'Method Not Allowed', { headers: { Allow: match.group.allow } })
  }
  was.app._ensureCompiled()
  was.route = match.route
  was._params = match.params
  if (was._request !== null) {
    was._request._args = null
  }
  return runRoute(was, match.route, input)
}
