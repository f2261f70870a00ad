import type { SaddleWas } from './saddle-was.js'

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
