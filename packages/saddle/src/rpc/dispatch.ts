/**
 * One RPC call → one route: the method name is resolved to a route of the app (README "XML-RPC and JSON-RPC") and the route is run
 * through `app.invokeRoute`, i.e. the same hooks, auth, sessions and argument builder as over HTTP. The
 * outcome is a value or a failure carrying the HTTP status the same call would have had.
 */
import { defaultReason } from '@skitai/was'
import { ApiResult, FaultResult } from '../api.js'
import { FileResult, RedirectResult } from '../response.js'
import type { RouteMatch } from '../route.js'
import type { SaddleWas } from '../saddle-was.js'
import { assertRpcValue, noSuchMethod, type RpcFailure, toFailure } from './failure.js'
import { candidatePaths, methodToPath } from './method-path.js'

/** Arguments of one call: by position (XML-RPC, JSON-RPC arrays) or by name (JSON-RPC objects). */
export type RpcInput = { positional: unknown[] } | { args: Record<string, unknown> }

/** What the RPC layer needs from the app (Saddle implements it). */
export interface RpcApp {
  resolveRoute(path: string, method?: string): RouteMatch | null
  invokeRoute(was: SaddleWas, match: RouteMatch, input: RpcInput): Promise<unknown>
  readonly debug: boolean
}

export type CallOutcome = { ok: true; value: unknown } | { ok: false; failure: RpcFailure }

/** The route a method name names, looked up under the posted path first, then from the mount point. */
export function resolveMethod(app: RpcApp, base: string, methodName: string): RouteMatch | null {
  const path = methodToPath(methodName)
  if (path === null) return null
  for (const candidate of candidatePaths(path, base)) {
    const m = app.resolveRoute(candidate, 'POST')
    if (m !== null) return m
  }
  return null
}

export async function callRoute(
  app: RpcApp,
  was: SaddleWas,
  base: string,
  methodName: string,
  input: RpcInput,
): Promise<CallOutcome> {
  const match = resolveMethod(app, base, methodName)
  if (match === null) return { ok: false, failure: noSuchMethod(methodName) }
  if (match.route === null) {
    const allow = match.group.allow
    return {
      ok: false,
      failure: { status: 405, message: `${methodName} does not accept POST (allowed: ${allow})`, stack: undefined },
    }
  }
  let value: unknown
  try {
    value = await app.invokeRoute(was, match, input)
  } catch (e) {
    return { ok: false, failure: toFailure(e, app.debug) }
  }
  return settle(was, value, app.debug)
}

/**
 * A handler's (or a short-circuiting hook's) answer → the RPC outcome. Answers that say "error" the HTTP
 * way — `was.Fault(...)`, `was.API(data, 4xx)`, or any value after `was.response.status(4xx/5xx)` — are
 * failures with that status.
 */
function settle(was: SaddleWas, value: unknown, debug: boolean): CallOutcome {
  if (value instanceof FaultResult) {
    return { ok: false, failure: { status: value.status, message: value.body.message, stack: undefined } }
  }
  let status = was.response.statusCode
  if (value instanceof ApiResult) {
    if (value.status !== null && value.status >= 400) status = value.status
    value = value.data
  }
  if (status >= 400) {
    const message = typeof value === 'string' && value !== '' ? value : defaultReason(status)
    return { ok: false, failure: { status, message, stack: undefined } }
  }
  try {
    if (value instanceof RedirectResult || value instanceof FileResult) {
      throw new TypeError('a redirect or a file answer cannot be returned to an RPC call')
    }
    assertRpcValue(value)
  } catch (e) {
    return { ok: false, failure: toFailure(e, debug) }
  }
  return { ok: true, value }
}
