/**
 * The one loop of the request lifecycle (see ARCHITECTURE.md, "The request path"): call each step in
 * order; a step answers by returning anything but `undefined`, and the first answer ends the walk.
 * Gates, route checks, guards, before hooks and failed hooks all run through it.
 *
 * It stays synchronous while the steps are: only a step that returns a thenable makes the rest of the
 * walk asynchronous (one closure, from that step on). So a route whose stages are all synchronous
 * runs without a promise, which is what keeps the hot path close to raw node:http.
 */
import type { SaddleWas } from '../saddle-was.js'
import { isThenable } from '../thenable.js'

/** One step: `undefined` to go on, any other value (or a promise of one) is the answer. */
export type Step<A> = (was: SaddleWas, arg: A) => unknown

/**
 * Runs `steps` from index `from` with `(was, arg)`; returns the first answer, or — when no step
 * answered — the value of `last(was, arg)` whatever it is (`undefined` when `last` is null).
 */
export function runUntilAnswer<A>(
  steps: readonly Step<A>[],
  was: SaddleWas,
  arg: A,
  last: Step<A> | null,
  from = 0,
): unknown {
  for (let i = from; i < steps.length; i++) {
    const r = steps[i]!(was, arg)
    if (r === undefined) continue
    if (!isThenable(r)) return r
    const next = i + 1
    return r.then((v) => (v === undefined ? runUntilAnswer(steps, was, arg, last, next) : v))
  }
  return last === null ? undefined : last(was, arg)
}

/**
 * Runs every one of `fns` with `(was, arg)`, in order, awaiting each; an error is logged with `context`
 * and the rest still run (teardown hooks, `was.temp` callbacks).
 */
export async function runEachLogged<A>(
  fns: readonly ((was: SaddleWas, arg: A) => unknown)[],
  was: SaddleWas,
  arg: A,
  context: string,
): Promise<void> {
  for (const fn of fns) {
    try {
      const r = fn(was, arg)
      if (isThenable(r)) await r
    } catch (e) {
      was.app.logError(e, was, context)
    }
  }
}
