type Fn = (...args: any[]) => unknown

/** The `was` of a `temp.bind` kind. */
export type TempEvent = 'ok' | 'except' | 'end'

/** `was.temp`: a request-scoped bag plus one-request callbacks (`bind`). */
export class TempBag {
  #ok: Fn[] | null = null
  #except: Fn[] | null = null
  #end: Fn[] | null = null;
  [key: string]: unknown

  /** `ok(was, response)` after success, `except(was, error)` after a failure, `end(was)` always. */
  bind(event: TempEvent, fn: Fn): void {
    if (event === 'ok') (this.#ok ??= []).push(fn)
    else if (event === 'except') (this.#except ??= []).push(fn)
    else if (event === 'end') (this.#end ??= []).push(fn)
    else throw new Error(`was.temp.bind: unknown event '${event}' (ok, except or end)`)
  }

  /**
   * @internal The callbacks bound for this request's outcome — `ok` (or `except`) first, then `end` —
   * taken once: the bag forgets them (lifecycle/run-route.ts `withTempCallbacks`).
   */
  takeCallbacks(ok: boolean): [first: Fn[] | null, end: Fn[] | null] {
    const taken: [Fn[] | null, Fn[] | null] = [ok ? this.#ok : this.#except, this.#end]
    this.#ok = this.#except = this.#end = null
    return taken
  }
}
