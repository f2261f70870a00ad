/**
 * One process's figures (README "Status page and metrics"): what the status page and the metrics are
 * made of. A worker sends its figures to the master as JSON (cluster-collect.ts); the master adds them up
 * into one status report here, and into one metrics page in metrics-text.ts.
 */
import type { Server } from 'node:http'
import { createRequire } from 'node:module'
import { aliasStatus, cacheStats } from '@skitai/was'
import type { SkitaiApp } from '../contract.js'
import { h2SideOf } from '../server.js'
import type { RequestCell, RequestStats } from './request-stats.js'

/** What the figures read of an engine (the Engine class has it all). */
export interface ObservedEngine {
  readonly connections: number
  readonly inFlight: number
  readonly server: Server | null
  /** Sockets handed over by an upgrade (WebSocket sessions, proxied upgrades). */
  readonly upgraded: ReadonlySet<unknown>
  readonly log: { readonly workerId: string }
  readonly stats: RequestStats | null
  readonly apps: Readonly<Record<string, SkitaiApp>>
  mountPointOf(app: SkitaiApp): string | undefined
}

export interface ConnectionFigures {
  total: number
  http1: number
  h2: number
  websocket: number
}

export type AliasFigures = ReturnType<typeof aliasStatus>

export interface CacheFigures {
  size: number
  max: number
  hits: number
  misses: number
}

export interface WorkerFigures {
  /** `M` for one process, `W0`, `W1` … for cluster workers (as in the access log). */
  readonly worker: string
  readonly pid: number
  /** Seconds since the process started. */
  readonly uptime: number
  readonly rss: number
  readonly connections: ConnectionFigures
  readonly inFlight: number
  readonly requests: { total: number; cells: RequestCell[] } | null
  /** Mount point → the app's name there, for the `app` label. */
  readonly apps: Record<string, string>
  readonly aliases: AliasFigures
  readonly cache: CacheFigures
}

export function localFigures(engine: ObservedEngine): WorkerFigures {
  const h2 = engine.server === null ? 0 : (h2SideOf(engine.server)?.sessions.size ?? 0)
  const websocket = engine.upgraded.size
  const apps: Record<string, string> = {}
  for (const [name, app] of Object.entries(engine.apps)) {
    const point = engine.mountPointOf(app)
    if (point !== undefined) apps[point] = name
  }
  const stats = engine.stats
  return {
    worker: engine.log.workerId,
    pid: process.pid,
    uptime: process.uptime(),
    rss: process.memoryUsage.rss(),
    connections: {
      total: engine.connections,
      http1: Math.max(0, engine.connections - h2 - websocket),
      h2,
      websocket,
    },
    inFlight: engine.inFlight,
    requests: stats === null ? null : { total: stats.total, cells: stats.snapshot() },
    apps,
    aliases: aliasStatus(),
    cache: cacheStats(),
  }
}

/** The `app` label of a mount point: the Skitai app's name there, else the point itself (`/` for the root). */
export function appLabel(figures: WorkerFigures, point: string): string {
  return figures.apps[point] ?? (point === '' ? '/' : point)
}

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string }
export const ENGINE_VERSION: string = pkg.version

export interface MemberReport {
  address: string
  weight: number
  /** Down in any worker. */
  down: boolean
  /** Workers that have it marked down. */
  downIn: string[]
  downReason: string | null
  inflight: number
  failures: number
  calls: Record<string, number>
}

export interface StatusReport {
  version: string
  node: string
  /** Seconds since the serving process (the master of a cluster) started. */
  uptime: number
  startedAt: string
  workers: {
    count: number
    /** Workers that did not answer in time (`worker #N (pid P)`), or why the master could not be asked. */
    missing: string[]
    list: Array<{
      worker: string
      pid: number
      uptime: number
      rss: number
      connections: number
      inFlight: number
      requests: number | null
    }>
  }
  connections: ConnectionFigures
  inFlight: number
  requests: {
    /** null when no counting is on in any worker (enableStatus/enableMetrics). */
    total: number | null
    byStatus: Record<string, number>
    byApp: Record<string, number>
  }
  aliases: Array<{ name: string; type: string; members: MemberReport[] }>
  cache: CacheFigures & { hitRate: number | null }
}

/** Add up the figures of every worker (one for a single process) into the status report. */
export function sumFigures(list: readonly WorkerFigures[], missing: readonly string[], uptime: number): StatusReport {
  const connections: ConnectionFigures = { total: 0, http1: 0, h2: 0, websocket: 0 }
  const cache = { size: 0, max: 0, hits: 0, misses: 0 }
  const byStatus: Record<string, number> = {}
  const byApp: Record<string, number> = {}
  let total: number | null = null
  let inFlight = 0
  const aliases = new Map<string, { name: string; type: string; members: Map<string, MemberReport> }>()
  for (const f of list) {
    for (const k of ['total', 'http1', 'h2', 'websocket'] as const) connections[k] += f.connections[k]
    inFlight += f.inFlight
    cache.size += f.cache.size
    cache.max += f.cache.max
    cache.hits += f.cache.hits
    cache.misses += f.cache.misses
    if (f.requests !== null) {
      total = (total ?? 0) + f.requests.total
      for (const c of f.requests.cells) {
        const app = appLabel(f, c.point)
        for (const [status, n] of c.statuses) {
          byStatus[status] = (byStatus[status] ?? 0) + n
          byApp[app] = (byApp[app] ?? 0) + n
        }
      }
    }
    for (const a of f.aliases) {
      let entry = aliases.get(a.name)
      if (entry === undefined) {
        entry = { name: a.name, type: a.type, members: new Map() }
        aliases.set(a.name, entry)
      }
      for (const m of a.members) {
        let r = entry.members.get(m.address)
        if (r === undefined) {
          r = {
            address: m.address,
            weight: m.weight,
            down: false,
            downIn: [],
            downReason: null,
            inflight: 0,
            failures: 0,
            calls: {},
          }
          entry.members.set(m.address, r)
        }
        if (m.down) {
          r.down = true
          r.downIn.push(f.worker)
          r.downReason ??= m.downReason
        }
        r.inflight += m.inflight
        r.failures += m.failures
        for (const [outcome, n] of Object.entries(m.calls)) r.calls[outcome] = (r.calls[outcome] ?? 0) + n
      }
    }
  }
  const lookups = cache.hits + cache.misses
  return {
    version: ENGINE_VERSION,
    node: process.version,
    uptime,
    startedAt: new Date(Date.now() - uptime * 1000).toISOString(),
    workers: {
      count: list.length,
      missing: [...missing],
      list: list.map((f) => ({
        worker: f.worker,
        pid: f.pid,
        uptime: f.uptime,
        rss: f.rss,
        connections: f.connections.total,
        inFlight: f.inFlight,
        requests: f.requests?.total ?? null,
      })),
    },
    connections,
    inFlight,
    requests: { total, byStatus, byApp },
    aliases: [...aliases.values()].map((a) => ({ name: a.name, type: a.type, members: [...a.members.values()] })),
    cache: { ...cache, hitRate: lookups === 0 ? null : cache.hits / lookups },
  }
}
