/**
 * `skitai.setWorkerCriticalPoint({ cpuPercent, continuous, interval })` (README "Workers", critical
 * point): each worker reports its CPU use (process.cpuUsage, user + system, percent of one core) every
 * `interval` seconds; the master replaces a worker above `cpuPercent` for `continuous` reports in a row,
 * gracefully (the new worker first). A worker whose event loop is blocked outright cannot report: the
 * timer fires late, and the late report still counts the CPU it burnt.
 */
import { CTL, type CtlMessage } from './messages.js'

export interface CriticalPoint {
  /** Percent of one core (default 90). */
  cpuPercent: number
  /** Reports in a row above it before the worker is replaced (default 3). */
  continuous: number
  /** Seconds between reports (default 20). */
  interval: number
}

export function criticalPointOf(options: Partial<CriticalPoint>): CriticalPoint {
  const cp = { cpuPercent: 90, continuous: 3, interval: 20, ...options }
  if (!(cp.cpuPercent > 0)) throw new TypeError(`setWorkerCriticalPoint: cpuPercent must be > 0, got ${cp.cpuPercent}`)
  if (!(Number.isInteger(cp.continuous) && cp.continuous >= 1))
    throw new TypeError(`setWorkerCriticalPoint: continuous must be an integer >= 1, got ${cp.continuous}`)
  if (!(cp.interval > 0))
    throw new TypeError(`setWorkerCriticalPoint: interval (seconds) must be > 0, got ${cp.interval}`)
  return cp
}

/** Worker side: report the CPU percent of each interval to the master. Returns a stop function. */
export function reportCpu(intervalSeconds: number): () => void {
  let last = process.cpuUsage()
  let at = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    const used = process.cpuUsage(last)
    last = process.cpuUsage()
    const percent = ((used.user + used.system) / 1000 / (now - at)) * 100
    at = now
    const m: CtlMessage = { type: CTL, cmd: 'cpu', percent: Math.round(percent * 10) / 10 }
    if (process.connected) process.send?.(m)
  }, intervalSeconds * 1000)
  timer.unref()
  return () => clearInterval(timer)
}

/** Master side: counts a worker's reports above the threshold in a row. */
export class CpuWatch {
  private over = 0

  constructor(private readonly point: CriticalPoint) {}

  /** Record a report; true when the worker has now been over the threshold `continuous` times in a row. */
  report(percent: number): boolean {
    this.over = percent >= this.point.cpuPercent ? this.over + 1 : 0
    return this.over >= this.point.continuous
  }

  reset(): void {
    this.over = 0
  }
}
