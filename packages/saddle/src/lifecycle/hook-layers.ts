/**
 * The hook layers around a route's handler (README "Hooks"): app.before → package.before → [guards →
 * handler] → package.after|failed → package.teardown → app.after|failed → app.teardown. An error a
 * layer's failed hooks do not answer goes on to the next layer out, and from the outermost one to the
 * request's error path (handle-request.ts `end`). A layer's teardown is owed from its entry (`was`
 * keeps the list), so that a request the engine answers first still gets it, once (lifecycle/abandon.ts).
 */
import { EarlyResponse } from '../early-response.js'
import type { HookLayer } from '../hooks.js'
import type { SaddleWas } from '../saddle-was.js'
import { isThenable } from '../thenable.js'
import { runEachLogged, runUntilAnswer, type Step } from './run-until-answer.js'

/** Runs the layers from `i` inward around `inner` (guards and handler); resolves to the answer. */
export async function runLayers(
  was: SaddleWas,
  layers: readonly HookLayer[],
  i: number,
  inner: Step<undefined>,
): Promise<unknown> {
  const layer = layers[i]!
  if (layer.teardown !== null) was.enterTeardownLayer(layer)
  const next: Step<undefined> = i + 1 < layers.length ? (w) => runLayers(w, layers, i + 1, inner) : inner
  let result: unknown
  try {
    result = layer.before === null ? next(was, undefined) : runUntilAnswer(layer.before, was, undefined, next)
    if (isThenable(result)) result = await result
    if (layer.after !== null) {
      for (const fn of layer.after) {
        const r = fn(was, result)
        if (isThenable(r)) await r
      }
    }
  } catch (e) {
    result = await answerFailure(was, layer, e)
  }
  await tearDown(was, layer)
  return result
}

/**
 * The layer's failed hooks for `e`: the first answer replaces the error (keeping its status unless the
 * hook set one); no answer, an `EarlyResponse` (304/412, preflight) or a failing hook rethrows — after
 * this layer's teardown.
 */
async function answerFailure(was: SaddleWas, layer: HookLayer, e: unknown): Promise<unknown> {
  let answer: unknown
  try {
    if (layer.failed !== null && !(e instanceof EarlyResponse)) {
      was.noteError(e)
      answer = runUntilAnswer(layer.failed, was, e, null)
      if (isThenable(answer)) answer = await answer
    }
  } catch (e2) {
    e = e2
    answer = undefined
  }
  if (answer === undefined) {
    await tearDown(was, layer)
    throw e
  }
  was.response.adoptErrorStatus(e)
  return answer
}

/** The layer's teardown hooks, unless they have run or the request was abandoned (they ran there). */
async function tearDown(was: SaddleWas, layer: HookLayer): Promise<void> {
  if (layer.teardown !== null && was.leaveTeardownLayer(layer))
    await runEachLogged(layer.teardown, was, undefined, 'teardownRequest hook failed')
}
