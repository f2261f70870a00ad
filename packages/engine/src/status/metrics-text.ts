/**
 * The metrics page (README "Status page and metrics"): each worker's figures become prom-client's metric
 * JSON, `AggregatorRegistry.aggregate` sums them over the workers (as prom-client's own cluster support
 * does) and the registry writes the Prometheus text. prom-client is loaded on the first metrics request:
 * a server that never serves one never loads it.
 */
import { createRequire } from 'node:module'
import type * as PromClient from 'prom-client'
import { CALL_OUTCOMES } from '@skitai/was'
import { appLabel, type WorkerFigures } from './figures.js'
import { LATENCY_BUCKETS } from './request-stats.js'

const require = createRequire(import.meta.url)
let prom: typeof PromClient | null = null

function promClient(): typeof PromClient {
  return (prom ??= require('prom-client') as typeof PromClient)
}

type Labels = Record<string, string | number>
interface Value {
  value: number
  labels: Labels
  metricName?: string
}
interface MetricJson {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'histogram'
  values: Value[]
  /** How the master combines the workers' values (prom-client aggregators). */
  aggregator: 'sum' | 'min' | 'max'
}

function metric(name: string, type: MetricJson['type'], help: string, aggregator: MetricJson['aggregator'] = 'sum') {
  return { name, help, type, values: [] as Value[], aggregator }
}

/** One worker's figures as prom-client metric JSON (what `registry.getMetricsAsJSON()` gives). */
export function figuresToMetrics(f: WorkerFigures): MetricJson[] {
  const requests = metric(
    'skitai_requests_total',
    'counter',
    'Requests answered, by app, route name, method and status',
  )
  const duration = metric(
    'skitai_request_duration_seconds',
    'histogram',
    'Time from the request head to the end of the response, by app, route name and method',
  )
  for (const c of f.requests?.cells ?? []) {
    const app = appLabel(f, c.point)
    for (const [status, n] of c.statuses)
      requests.values.push({ value: n, labels: { app, route: c.route, method: c.method, status } })
    if (c.count === 0) continue
    const labels = { app, route: c.route, method: c.method }
    let cumulative = 0
    for (let i = 0; i <= LATENCY_BUCKETS.length; i++) {
      cumulative += c.buckets[i] as number
      const le = i < LATENCY_BUCKETS.length ? (LATENCY_BUCKETS[i] as number) : '+Inf'
      duration.values.push({ value: cumulative, labels: { ...labels, le }, metricName: `${duration.name}_bucket` })
    }
    duration.values.push({ value: c.sum, labels, metricName: `${duration.name}_sum` })
    duration.values.push({ value: c.count, labels, metricName: `${duration.name}_count` })
  }
  const inFlight = metric('skitai_requests_in_flight', 'gauge', 'Requests being handled now')
  inFlight.values.push({ value: f.inFlight, labels: {} })
  const connections = metric('skitai_connections_open', 'gauge', 'Open client connections by protocol')
  for (const protocol of ['http1', 'h2', 'websocket'] as const)
    connections.values.push({ value: f.connections[protocol], labels: { protocol } })
  const calls = metric('skitai_backend_calls_total', 'counter', 'Finished backend calls by alias, member and outcome')
  const callsInFlight = metric('skitai_backend_calls_in_flight', 'gauge', 'Backend calls in flight by alias and member')
  // up only when every worker sees it up: one worker's failures are worth a look
  const up = metric('skitai_backend_member_up', 'gauge', 'Whether an alias member is up (1) or marked down (0)', 'min')
  for (const a of f.aliases)
    for (const m of a.members) {
      const labels = { alias: a.name, member: m.address }
      for (const outcome of CALL_OUTCOMES)
        calls.values.push({ value: m.calls[outcome], labels: { ...labels, outcome } })
      callsInFlight.values.push({ value: m.inflight, labels })
      up.values.push({ value: m.down ? 0 : 1, labels })
    }
  const hits = metric('skitai_result_cache_hits_total', 'counter', 'Result-cache lookups that found a live entry')
  hits.values.push({ value: f.cache.hits, labels: {} })
  const misses = metric('skitai_result_cache_misses_total', 'counter', 'Result-cache lookups that found none')
  misses.values.push({ value: f.cache.misses, labels: {} })
  const entries = metric('skitai_result_cache_entries', 'gauge', 'Entries in the result cache')
  entries.values.push({ value: f.cache.size, labels: {} })
  const rss = metric('skitai_process_resident_memory_bytes', 'gauge', 'Resident memory of the serving processes')
  rss.values.push({ value: f.rss, labels: {} })
  return [requests, duration, inFlight, connections, calls, callsInFlight, up, hits, misses, entries, rss]
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** The Prometheus text of all workers' figures, summed; `missing` workers are counted in a gauge. */
export async function metricsText(list: readonly WorkerFigures[], missing: readonly string[]): Promise<string> {
  const { AggregatorRegistry } = promClient()
  const perWorker = list.map(figuresToMetrics)
  const workers: MetricJson = metric('skitai_workers', 'gauge', 'Workers whose figures are in this page')
  workers.values.push({ value: list.length, labels: {} })
  const absent: MetricJson = metric('skitai_workers_missing', 'gauge', 'Workers that did not answer in time')
  absent.values.push({ value: missing.length, labels: {} })
  perWorker.push([workers, absent])
  const registry = AggregatorRegistry.aggregate(perWorker)
  return registry.metrics()
}
