/**
 * Running a matched route: its plan's stages (checks, body and arguments, checks), then its core
 * (hook layers → guards → handler), then the request's `was.temp` callbacks. The HTTP request path
 * (handle-request.ts) and `invokeRoute` (RPC calls) share it; only the stage list differs.
 */
import { HttpError } from '@skitai/was'
import type { Route, RouteMatch } from '../route.js'
import type { SaddleWas } from '../saddle-was.js'
import { isThenable } from '../thenable.js'
import { runEachLogged, runUntilAnswer } from './run-until-answer.js'

/** The route's answer, synchronously when every stage and the handler are synchronous. */
export function runRoute(was: SaddleWas, route: Route, stages: readonly ((was: SaddleWas, route: Route) => unknown)[]) {
  let value: unknown
  try {
    value = runUntilAnswer(stages, was, route, route.plan!.core)
  } catch (e) {
    if (was.builtTemp === null) throw e
    value = Promise.reject(e)
  }
  return isThenable(value) || was.builtTemp !== null ? withTempCallbacks(was, value) : value
}

/** Values an RPC call gives a route: by name, or positional in parameter order. */
export interface CallInput {
  args?: Record<string, unknown>
  positional?: unknown[]
}

/**
 * For the RPC dispatcher (see `Saddle.invokeRoute`): runs a resolved route with by-name or positional
 * values through the same checks, hooks, guards and argument builder, and returns the raw value.
 */
export async function invokeRoute(was: SaddleWas, match: RouteMatch, input: CallInput): Promise<unknown> {
  const route = match.route
  if (route === null) throw new HttpError(405, 'Method Not Allowed', { headers: { Allow: match.group.allow } })
  was.app.ensureCompiled()
  was.enterRoute(route, match.params)
  const named =
    input.positional !== undefined
      ? route.builder.nameValues(input.positional, match.params)
      : mergeInto(match.params, input.args)
  const defaults = route.builder.defaults
  for (const k in defaults) if (!(k in named)) named[k] = defaults[k]
  const request = was.request
  request.takeCallArguments(named)
  return runRoute(was, route, route.plan!.callStages)
}

function mergeInto(params: Record<string, unknown>, args: Record<string, unknown> | undefined) {
  const out: Record<string, unknown> = Object.create(null)
  for (const k of Object.keys(params)) out[k] = params[k]
  if (args !== undefined) for (const k of Object.keys(args)) if (k !== '__proto__') out[k] = args[k]
  return out
}

/** Awaits the route's value, then runs `was.temp.bind` callbacks: ok(was, value) | except(was, error), end(was). */
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
export async function finishTemp(was: SaddleWas, ok: boolean, arg: unknown): Promise<void> {
  const t = was.builtTemp
  if (t === null) return
  const [first, end] = t.takeCallbacks(ok)
  if (first !== null) await runEachLogged(first, was, arg, 'was.temp callback failed')
  if (end !== null) await runEachLogged(end, was, undefined, 'was.temp callback failed')
}
