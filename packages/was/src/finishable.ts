/**
 * What an HTTP call (call.ts) and a WebSocket exchange (wscall.ts) share: one Result, and callbacks
 * waiting for it (a collector's `wait`, a `.map` filter's `onFinish`).
 */
import type { Result } from './result.js'

export abstract class Finishable {
  finished: boolean
  readonly result: Result
  private _waiters: Array<(r: Result) => void> | null

  constructor(result: Result) {
    this.finished = false
    this.result = result
    this._waiters = null
  }

  /** The result once finished, or null when `ms` passed first. */
  wait(ms: number): Promise<Result | null> {
    if (this.finished) return Promise.resolve(this.result)
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(null), ms)
      ;(this._waiters ??= []).push((r) => {
        clearTimeout(t)
        resolve(r)
      })
    })
  }

  /** Register a callback for when the call finishes (immediately if it has). */
  onFinish(fn: (r: Result) => void): void {
    if (this.finished) fn(this.result)
    else (this._waiters ??= []).push(fn)
  }

  /** Run the waiting callbacks, once (the subclass has set `finished` and filled the result). */
  protected _notify(): void {
    const ws = this._waiters
    this._waiters = null
    if (ws !== null) for (const w of ws) w(this.result)
  }
}
