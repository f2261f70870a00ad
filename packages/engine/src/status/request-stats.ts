/**
 * The request counters behind the status page and the metrics (README "Status page and metrics"): plain
 * integers bumped when a response closes, beside the access-log line. Nothing here is prom-client; the
 * metrics page turns a snapshot of these into Prometheus text only when it is asked (metrics-text.ts).
 * Keyed by mount point → route name → method, so one request costs three Map lookups and a few adds, no
 * string building.
 */

/** Upper bounds (seconds) of the latency histogram's buckets; +Inf is implied. */
export const LATENCY_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** The route label of a request no Skitai app named (static files, listeners, 404s, engine answers). */
export const NO_ROUTE = '-'

/** Requests of one mount point, route and method. */
class RouteCell {
  /** Count per status code (a response that was never sent counts as 499). */
  readonly statuses = new Map<number, number>()
  /** Non-cumulative bucket counts, one per LATENCY_BUCKETS bound plus +Inf. */
  readonly buckets: number[] = new Array(LATENCY_BUCKETS.length + 1).fill(0)
  /** Seconds, summed. */
  sum = 0
  count = 0
}

/** One cell as it goes into a snapshot (JSON: it travels between cluster workers and the master). */
export interface RequestCell {
  readonly point: string
  readonly route: string
  readonly method: string
  /** [status code, count] pairs. */
  readonly statuses: Array<[number, number]>
  readonly buckets: number[]
  readonly sum: number
  readonly count: number
}

export class RequestStats {
  /** Every request counted, since the counters started. */
  total = 0
  private readonly byPoint = new Map<string, Map<string, Map<string, RouteCell>>>()

  /**
   * Count one closed request. `startTime` is its performance.now() at arrival (0 when the clock was not
   * read: then it counts without a latency).
   */
  record(point: string, route: string | null, method: string, status: number, startTime: number): void {
    this.total++
    let routes = this.byPoint.get(point)
    if (routes === undefined) {
      routes = new Map()
      this.byPoint.set(point, routes)
    }
    const r = route ?? NO_ROUTE
    let methods = routes.get(r)
    if (methods === undefined) {
      methods = new Map()
      routes.set(r, methods)
    }
    let cell = methods.get(method)
    if (cell === undefined) {
      cell = new RouteCell()
      methods.set(method, cell)
    }
    const statuses = cell.statuses
    statuses.set(status, (statuses.get(status) ?? 0) + 1)
    if (startTime > 0) {
      const seconds = (performance.now() - startTime) / 1000
      let i = 0
      while (i < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[i] as number)) i++
      ;(cell.buckets[i] as number)++
      cell.sum += seconds
      cell.count++
    }
  }

  /** A copy of every cell, for the status page and the metrics. */
  snapshot(): RequestCell[] {
    const out: RequestCell[] = []
    for (const [point, routes] of this.byPoint)
      for (const [route, methods] of routes)
        for (const [method, c] of methods)
          out.push({
            point,
            route,
            method,
            statuses: [...c.statuses],
            buckets: [...c.buckets],
            sum: c.sum,
            count: c.count,
          })
    return out
  }
}
