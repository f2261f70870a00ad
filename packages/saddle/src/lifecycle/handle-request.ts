/**
 * The request path through a Saddle app (see ARCHITECTURE.md, "The request path"). The engine calls
 * `Saddle.handle` → `handleRequest`, which walks the app's stages and then the matched route's plan
 * with one runner (`runUntilAnswer`), and hands the outcome to `end`, the one function that finishes a
 * request:
 *
 *   app stages:  bare mount point (308) → app gates (`app.authenticate`, app-wide CORS) → RPC call
 *   route:       lookup (404 / 301 / 405) → the route's plan (lifecycle/route-plan.ts)
 *   end:         writer (state commit, then status, headers and body) — or, on failure, the error
 *                path (custom error handler, else the error page; a bare 500 if even that fails) —
 *                then `was.close()` (uncollected backend calls cancelled, unsaved uploads removed).
 *   abandoned:   when the engine answers first (handler deadline, an escaped error), lifecycle/abandon.ts
 *                runs the owed teardown and closes `was`; `end` then writes nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestContext } from '@skitai/engine'
import { HttpError, wasStorage } from '@skitai/was'
import { RedirectResult } from '../response.js'
import { detectRpc } from '../rpc/index.js'
import { SaddleWas } from '../saddle-was.js'
import { writeError, writeLastResort, writeResult } from '../writer.js'
import { type AppStage, appOf, type LifecycleApp } from './app-of.js'
import { runRoute } from './run-route.js'
import { isThenable } from '../thenable.js'
import { runUntilAnswer } from './run-until-answer.js'
import { answerRpcCall, bareMountPointRedirect, classifyJsonBody } from './rpc-stage.js'

export type { AppStage }

export function handleRequest(app: LifecycleApp, req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void {
  app.ensureCompiled()
  const was = new SaddleWas(app, req, res, ctx)
  // the engine tells this `was` when it answers in the app's place (engine `RequestHolder`)
  ctx.holder = was
  // RPC is recognised here, once; the RPC stage answers it.
  if (req.method === 'POST') {
    was.setRpcKind(detectRpc(req.headers['content-type']))
    // A JSON POST: one read of the body decides whether it is JSON-RPC. Without gates to pass first it is
    // read before the walk, through a callback: no promise on the path of a plain JSON POST.
    if (was.rpcKind === 'maybe-jsonrpc' && app.appGates.length === 0) {
      was.request.collectBodyThen(was, classifyThenStart)
      return
    }
  }
  begin(was)
}

function classifyThenStart(was: SaddleWas, error: Error | null, buf: Buffer | null): void {
  classifyJsonBody(was, error, buf)
  begin(was)
}

function begin(was: SaddleWas): void {
  if (was.app.config.asyncContext) wasStorage.run(was, start, was)
  else start(was)
}

/** The app's stages, in order (compiled with the app; the gates come from the security seams). */
export function compileAppStages(gates: readonly AppStage[]): readonly AppStage[] {
  return [bareMountPointRedirect, ...gates, answerRpcCall]
}

function start(was: SaddleWas): void {
  let value: unknown
  try {
    value = runUntilAnswer(appOf(was).appStages, was, undefined, routeRequest)
  } catch (e) {
    end(was, FAILED, e)
    return
  }
  if (isThenable(value)) {
    value.then(
      (v) => end(was, ANSWERED, v),
      (e) => end(was, FAILED, e),
    )
  } else end(was, ANSWERED, value)
}

/** The route for the request, run; 404, 301 (to the path with a trailing slash) or 405 when none. */
function routeRequest(was: SaddleWas): unknown {
  const ctx = was.requestContext
  const found = appOf(was).findRoute(ctx.path)
  if (found === null) throw new HttpError(404, 'Not Found', { detail: `no route for ${ctx.mountPoint}${ctx.path}` })
  if (found.kind === 'redirect') {
    return new RedirectResult(`${ctx.mountPoint}${found.location}${ctx.search === '' ? '' : `?${ctx.search}`}`, 301)
  }
  const group = found.value.group
  const route = group.forMethod(was.nodeRequest.method ?? 'GET')
  if (route === null) throw new HttpError(405, 'Method Not Allowed', { headers: { Allow: group.allow } })
  was.enterRoute(route, found.params)
  return runRoute(was, route, route.plan!.stages)
}

/** What `end` writes: the answer, the failure (error path), or — when writing that failed — a bare 500. */
const ANSWERED = 0
const FAILED = 1
const LAST_RESORT = 2
type Outcome = typeof ANSWERED | typeof FAILED | typeof LAST_RESORT

/**
 * The one end of every request: writes `value` as the outcome says, then closes `was`. A write that
 * fails moves one step down (answer → error path → last resort). Nothing for an abandoned request.
 */
function end(was: SaddleWas, outcome: Outcome, value: unknown): void {
  // answered by the engine already, and released there: a late result is dropped
  if (was.abandoned) return
  let written: void | Promise<void>
  try {
    written =
      outcome === ANSWERED
        ? writeResult(was, value)
        : outcome === FAILED
          ? writeError(was, value)
          : writeLastResort(was, value)
  } catch (e) {
    if (outcome === LAST_RESORT) was.close()
    else end(was, outcome === ANSWERED ? FAILED : LAST_RESORT, e)
    return
  }
  if (written === undefined) was.close()
  else
    written.then(
      () => was.close(),
      (e) => (outcome === LAST_RESORT ? was.close() : end(was, outcome === ANSWERED ? FAILED : LAST_RESORT, e)),
    )
}
