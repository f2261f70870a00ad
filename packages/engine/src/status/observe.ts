/**
 * `skitai.enableStatus(path, { allow })` and `skitai.enableMetrics(path, { allow })` (README "Status page
 * and metrics"): each mounts a small Node listener at its path, turns on the request counters and, in a
 * cluster, the collection of every worker's figures through the master (cluster-collect.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { AllowList } from './allow-list.js'
import { type CollectKind, collect, collectInPrimary, serveFigures } from './cluster-collect.js'
import { localFigures, type ObservedEngine, type StatusReport } from './figures.js'
import { METRICS_CONTENT_TYPE } from './metrics-text.js'
import { RequestStats } from './request-stats.js'
import { renderStatusHtml, wantsJson } from './status-page.js'

export interface ObserveOptions {
  /** Peer addresses or subnets that may read the page (default loopback: `['127.0.0.1', '::1']`; `'*'`: anyone). */
  allow?: string[]
}

const DEFAULT_ALLOW = ['127.0.0.1', '::1']

/** What enabling needs of the engine (the Engine class has it). */
export interface ObservableEngine extends ObservedEngine {
  stats: RequestStats | null
  mount(point: string, target: (req: IncomingMessage, res: ServerResponse) => unknown): unknown
}

/** The engine's status/metrics state: made by the first enableStatus/enableMetrics or status() call. */
export class Observer {
  private stopServing: (() => void) | null = null
  private stopCollecting: (() => void) | null = null

  constructor(private readonly engine: ObservableEngine) {
    engine.stats ??= new RequestStats()
  }

  /** Mount the status (`kind` 'status') or metrics page at `path`. */
  enable(kind: CollectKind, path: string, options: ObserveOptions): void {
    const where = `${kind === 'status' ? 'enableStatus' : 'enableMetrics'}('${path}')`
    if (typeof path !== 'string' || !path.startsWith('/') || path === '/')
      throw new TypeError(`${where}: give a path of its own such as '/__${kind}__'`)
    const allow = new AllowList(options.allow ?? DEFAULT_ALLOW, where)
    this.engine.mount(path, (req, res) => this.servePage(kind, allow, req, res))
    this.stopCollecting ??= collectInPrimary()
    this.stopServing ??= serveFigures(this.local)
  }

  private readonly local = () => localFigures(this.engine)

  /** The status report: every worker's figures summed by the master, or this process's. */
  async status(): Promise<StatusReport> {
    const answer = await collect('status', this.local)
    if (!('status' in answer)) throw new Error('status: the master answered with something else')
    return answer.status
  }

  close(): void {
    this.stopServing?.()
    this.stopServing = null
    this.stopCollecting?.()
    this.stopCollecting = null
  }

  private servePage(kind: CollectKind, allow: AllowList, req: IncomingMessage, res: ServerResponse): void {
    const peer = req.socket?.remoteAddress
    if (!allow.permits(peer)) {
      plain(res, 403, `403 Forbidden: the ${kind} page is not open to ${peer ?? 'this client'} (see its allow list)\n`)
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD')
      plain(res, 405, `405 Method Not Allowed: the ${kind} page answers GET and HEAD\n`)
      return
    }
    const json = kind === 'status' && wantsJson(req.headers.accept)
    collect(kind, this.local).then(
      (answer) => {
        let body: string
        let type: string
        if ('metrics' in answer) {
          body = answer.metrics
          type = METRICS_CONTENT_TYPE
        } else if (json) {
          body = JSON.stringify(answer.status)
          type = 'application/json'
        } else {
          body = renderStatusHtml(answer.status)
          type = 'text/html; charset=utf-8'
        }
        res.writeHead(200, {
          'Content-Type': type,
          'Content-Length': Buffer.byteLength(body),
          'Cache-Control': 'no-store',
          Vary: 'Accept',
        })
        res.end(req.method === 'HEAD' ? undefined : body)
      },
      (e: unknown) =>
        plain(
          res,
          500,
          `500 Internal Server Error: the ${kind} figures could not be collected: ${(e as Error)?.message ?? e}\n`,
        ),
    )
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  })
  res.end(text)
}
