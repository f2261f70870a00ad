/**
 * When to start a worker again after one died (README "Workers", respawn). A worker that served is
 * replaced at once. A worker that dies at start (or soon after it became ready) is a start
 * failure; after consecutive ones the next start waits, doubling each time up to a cap, so a script that
 * throws at start does not fork hundreds of processes a second. A worker that stays up clears the count.
 */
export interface RespawnSettings {
  /** Delay after the first start failure, doubled for each further one in a row. */
  firstDelayMs: number
  maxDelayMs: number
  /** A worker ready this long is stable: the failure count goes back to 0. */
  stableMs: number
}

export const DEFAULT_RESPAWN: RespawnSettings = { firstDelayMs: 500, maxDelayMs: 10_000, stableMs: 5_000 }

export class RespawnPolicy {
  /** Consecutive start failures, over all slots (two slots failing together back off twice as fast). */
  failures = 0

  constructor(readonly settings: RespawnSettings = DEFAULT_RESPAWN) {}

  /**
   * A worker died; `upMs` is how long it had been ready (undefined: it never became ready). Returns the
   * delay before its replacement starts.
   */
  died(upMs: number | undefined): number {
    if (upMs !== undefined && upMs >= this.settings.stableMs) this.failures = 0
    this.failures++
    // a worker that served is replaced at once the first time; one that never got ready waits already
    const steps = upMs === undefined ? this.failures : this.failures - 1
    if (steps <= 0) return 0
    const { firstDelayMs, maxDelayMs } = this.settings
    return Math.min(maxDelayMs, firstDelayMs * 2 ** (steps - 1))
  }

  /** A worker has been ready for `stableMs`. */
  stable(): void {
    this.failures = 0
  }
}
