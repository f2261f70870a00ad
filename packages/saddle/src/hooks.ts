import { HttpError } from '@skitai/was'
import type { SaddleWas } from './was.js'

/** `beforeRequest`: a non-undefined return value is the response and the handler is skipped. */
export type BeforeHook = (was: SaddleWas) => unknown
/** `afterRequest`: after the handler (or a short-circuiting before hook) succeeded. */
export type AfterHook = (was: SaddleWas, response: unknown) => unknown
/** `failedRequest`: after a hook or the handler threw; a non-undefined return value replaces the error page. */
export type FailedHook = (was: SaddleWas, error: unknown) => unknown
/** `teardownRequest`: always, last. Its errors are logged, never answered. */
export type TeardownHook = (was: SaddleWas) => unknown

/** The four hook lists of one app or package, in registration order. */
export class HookSet {
  readonly before: BeforeHook[] = []
  readonly after: AfterHook[] = []
  readonly failed: FailedHook[] = []
  readonly teardown: TeardownHook[] = []

  get empty(): boolean {
    return this.before.length + this.after.length + this.failed.length + this.teardown.length === 0
  }
}

/**
 * One level of the hook onion as precomputed for a route (app, then package): each list is a frozen
 * copy, or null when empty so the hot path is one `!== null` test.
 */
export interface HookLayer {
  readonly before: readonly BeforeHook[] | null
  readonly after: readonly AfterHook[] | null
  readonly failed: readonly FailedHook[] | null
  readonly teardown: readonly TeardownHook[] | null
}

export function compileLayer(set: HookSet): HookLayer | null {
  if (set.empty) return null
  const pick = <T>(a: T[]): readonly T[] | null => (a.length === 0 ? null : Object.freeze([...a]))
  return { before: pick(set.before), after: pick(set.after), failed: pick(set.failed), teardown: pick(set.teardown) }
}

/**
 * Thrown (internally) to end a request early with a complete answer that is not a failure: a 304/412
 * from `setEtag`/`setMtime`, or an OPTIONS preflight. Failed hooks do not run for it; teardown does.
 */
export class EarlyResponse extends HttpError {
  readonly early = true
}

/** Whether `x` is a thenable (cheaper than `instanceof Promise` and accepts Tasks with `then`). */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && typeof x === 'object' && typeof (x as any).then === 'function'
}

/**
 * Runs the hook layers from `i` inward around `inner`, in the order of SPEC §2.4:
 * app.before → package.before → handler → package.after|failed → package.teardown → app.after|failed →
 * app.teardown. An error a layer's failed hooks do not answer goes on to the next layer out.
 */
export async function runLayers(
  was: SaddleWas,
  layers: readonly HookLayer[],
  i: number,
  inner: (was: SaddleWas) => unknown,
): Promise<unknown> {
  const layer = layers[i]!
  let result: unknown
  try {
    let answered = false
    if (layer.before !== null) {
      for (const fn of layer.before) {
        let r = fn(was)
        if (isThenable(r)) r = await r
        if (r !== undefined) {
          result = r
          answered = true
          break
        }
      }
    }
    if (!answered) {
      result = i + 1 < layers.length ? await runLayers(was, layers, i + 1, inner) : inner(was)
      if (isThenable(result)) result = await result
    }
    if (layer.after !== null) {
      for (const fn of layer.after) {
        const r = fn(was, result)
        if (isThenable(r)) await r
      }
    }
  } catch (e) {
    if (layer.failed === null || e instanceof EarlyResponse) {
      await runTeardown(was, layer)
      throw e
    }
    was._error = e
    let answer: unknown
    try {
      for (const fn of layer.failed) {
        let r = fn(was, e)
        if (isThenable(r)) r = await r
        if (r !== undefined) {
          answer = r
          break
        }
      }
    } catch (e2) {
      await runTeardown(was, layer)
      throw e2
    }
    if (answer === undefined) {
      await runTeardown(was, layer)
      throw e
    }
    // A failed hook answered: the answer keeps the error's status unless the hook set one.
    was.response._adoptErrorStatus(e)
    result = answer
  }
  await runTeardown(was, layer)
  return result
}

async function runTeardown(was: SaddleWas, layer: HookLayer): Promise<void> {
  if (layer.teardown === null) return
  for (const fn of layer.teardown) {
    try {
      const r = fn(was)
      if (isThenable(r)) await r
    } catch (e) {
      was.app.logError(e, was, 'teardownRequest hook failed')
    }
  }
}
