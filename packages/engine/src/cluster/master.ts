/**
 * The master of `run({ workers })` (README "Workers", ARCHITECTURE.md "Workers"): it runs the serve script
 * only to read its settings — it never imports module mounts or listens — and forks the workers, which
 * share the port through node:cluster. It restarts a worker that dies (with a backoff for crash loops),
 * relays the shared state, stops the workers gracefully on SIGTERM/SIGINT, replaces them one by one on
 * SIGHUP, on a source change (reloader) and when one stays above the CPU critical point.
 */
import cluster from 'node:cluster'
import { fileURLToPath } from 'node:url'
import type { CriticalPoint } from './critical-point.js'
import { SharedStateHub } from './ipc-shared-state.js'
import { isCtlMessage } from './messages.js'
import { RespawnPolicy } from './respawn-policy.js'
import { SourceWatcher } from './reloader.js'
import { type Replacing, replaceWorker, rollingReload } from './rolling-reload.js'
import { WorkerHandle } from './worker-handle.js'

/** The `skitai` command, one level above both src/ and dist/: workers start through it like the master. */
const BIN = fileURLToPath(new URL('../../bin/skitai.js', import.meta.url))

type Log = (level: 'info' | 'warn' | 'error', message: string) => void

export interface MasterOptions {
  name: string
  workers: number
  /** The serve script and its command-line arguments (the workers get the same). */
  script: string
  args: readonly string[]
  /** Where the reloader watches, when on. */
  root: string
  reloader: boolean
  criticalPoint: CriticalPoint | null
  /** Seconds a worker has to finish its requests when stopped. */
  graceSeconds: number
  /** Said once the first workers are up: `listening on …`. */
  listening: string
  log: Log
  /** Flushed before the master exits. */
  flush: () => Promise<void>
}

const READY_TIMEOUT_MS = 30_000

export class Master {
  private readonly slots: Array<WorkerHandle | null>
  private readonly hub = new SharedStateHub()
  private readonly respawn = new RespawnPolicy()
  /** Every live worker, slot holders and new ones still starting. */
  private readonly live = new Set<WorkerHandle>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private watcher: SourceWatcher | null = null
  private stopping = false
  /** Replacements run one at a time (reload, reloader, critical point). */
  private queue: Promise<unknown> = Promise.resolve()
  private reloadPending = false

  constructor(private readonly o: MasterOptions) {
    this.slots = new Array(o.workers).fill(null)
  }

  /** Fork the workers; resolves once each has listened or died once, with how many are up. */
  async start(): Promise<number> {
    process.title = `skitai/${this.o.name}: master`
    cluster.setupPrimary({
      exec: BIN,
      args: [this.o.script, ...this.o.args],
      execArgv: process.execArgv,
      // stderr through the master, which keeps its tail to say why a worker died
      stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
    })
    process.on('SIGTERM', () => void this.stop('SIGTERM'))
    process.on('SIGINT', () => void this.stop('SIGINT'))
    process.on('SIGHUP', () => this.reload('SIGHUP'))
    if (this.o.reloader) this.startReloader()
    const first = this.slots.map((_, id) => this.spawn(id))
    const up = (await Promise.all(first.map((h) => h.ready))).filter(Boolean).length
    this.o.log(
      up > 0 ? 'info' : 'error',
      `skitai: ${up > 0 ? this.o.listening : 'no worker could start'} — master pid ${process.pid}, ${up} of ${this.o.workers} worker(s) up: ${first.map((h) => h.pid).join(' ')}`,
    )
    await this.o.flush()
    return up
  }

  /** The current slot holders. */
  workers(): WorkerHandle[] {
    return this.slots.filter((h): h is WorkerHandle => h !== null)
  }

  private fork(id: number): WorkerHandle {
    const h = new WorkerHandle(id, this.o.name, this.o.criticalPoint)
    this.live.add(h)
    h.worker.on('message', (m: unknown) => {
      if (this.hub.handle(h.worker, m) || !isCtlMessage(m)) return
      if (m.cmd === 'ready') this.ready(h)
      else if (m.cmd === 'error') h.lastError = m.message
      else if (m.cmd === 'cpu') this.cpuReport(h, m.percent)
      else if (m.cmd === 'reloader' && this.watcher === null && !this.stopping) this.startReloader()
    })
    // an 'error' on the channel (the worker died mid-send) must not end the master
    h.worker.on('error', (e) => this.o.log('warn', `skitai: ${h.label}: ${e.message}`))
    void h.exited.then((exit) => {
      this.live.delete(h)
      this.hub.leave(h.worker)
      if (h.retiring || this.stopping || this.slots[h.id] !== h) return
      // died on its own: say why and start another
      const upMs = h.readyAt === undefined ? undefined : performance.now() - h.readyAt
      this.slots[h.id] = null
      const delay = this.respawn.died(upMs)
      const when = h.isReady ? `after ${Math.round((upMs ?? 0) / 1000)} s` : 'before it was ready'
      const next =
        delay === 0
          ? 'starting a new one'
          : `${this.respawn.failures} start failure(s) in a row: next start in ${(delay / 1000).toFixed(1)} s (backoff)`
      this.o.log('error', `skitai: ${h.label} died ${when} (${h.describeExit(exit)}); ${next}`)
      this.later(delay, () => {
        if (!this.stopping && this.slots[h.id] === null) this.spawn(h.id)
      })
    })
    return h
  }

  private spawn(id: number): WorkerHandle {
    const h = this.fork(id)
    this.slots[id] = h
    return h
  }

  private ready(h: WorkerHandle): void {
    h.becameReady()
    this.later(this.respawn.settings.stableMs, () => {
      if (!h.worker.isDead()) this.respawn.stable()
    })
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t)
      fn()
    }, ms)
    this.timers.add(t)
  }

  private get replacing(): Replacing {
    return {
      fork: (id) => {
        const h = this.fork(id)
        setTimeout(() => {
          if (!h.isReady && !h.worker.isDead()) h.kill()
        }, READY_TIMEOUT_MS + 1000).unref()
        return h
      },
      install: (next) => {
        this.slots[next.id] = next
      },
      retire: (old) => this.retire(old),
      log: this.o.log,
      readyTimeoutMs: READY_TIMEOUT_MS,
    }
  }

  /** Rolling replace of every worker; a reload asked for while one runs runs again after it. */
  reload(why: string): void {
    if (this.stopping) return
    if (this.reloadPending) return
    this.reloadPending = true
    this.o.log('info', `skitai: ${why}: replacing ${this.workers().length} worker(s) one by one`)
    this.enqueue(async () => {
      this.reloadPending = false
      await rollingReload(this.replacing, () => this.workers(), why)
    })
  }

  private enqueue(job: () => Promise<unknown>): void {
    this.queue = this.queue.then(job).catch((e) => this.o.log('error', `skitai: ${e?.stack ?? e}`))
  }

  private cpuReport(h: WorkerHandle, percent: number): void {
    if (h.cpu === null || h.retiring || h.replacing || this.slots[h.id] !== h || !h.cpu.report(percent)) return
    const cp = this.o.criticalPoint as CriticalPoint
    h.cpu.reset()
    h.replacing = true // no second replacement while this one waits
    this.o.log(
      'warn',
      `skitai: ${h.label} above ${cp.cpuPercent}% CPU for ${cp.continuous} interval(s) of ${cp.interval} s (last ${percent}%); replacing it`,
    )
    this.enqueue(async () => {
      if (!h.worker.isDead() && !h.retiring && !this.stopping) await replaceWorker(this.replacing, h, 'critical point')
      h.replacing = false
    })
  }

  /** Stop one worker gracefully; killed when it overstays the grace time. */
  private retire(h: WorkerHandle): Promise<void> {
    h.retiring = true
    if (h.worker.isDead()) return Promise.resolve()
    h.send({ type: 'skitai:ctl', cmd: 'stop', grace: this.o.graceSeconds })
    const limit = this.o.graceSeconds + 5
    const timer = setTimeout(() => {
      this.o.log('warn', `skitai: ${h.label} did not exit within ${limit} s of the stop; killing it`)
      h.kill()
    }, limit * 1000)
    return h.exited.then((exit) => {
      clearTimeout(timer)
      if (exit.code !== 0) this.o.log('warn', `skitai: ${h.label} stopped: ${h.describeExit(exit)}`)
    })
  }

  private startReloader(): void {
    this.watcher = new SourceWatcher(this.o.root, (files) => {
      const shown = files.slice(0, 3).map((f) => f.slice(this.o.root.length + 1))
      this.reload(`reloader (${shown.join(', ')}${files.length > 3 ? ', …' : ''} changed)`)
    })
    this.o.log('info', `skitai: reloader watching ${this.o.root} (${this.watcher.directories} directories)`)
  }

  /** SIGTERM/SIGINT: every worker closes gracefully; the master exits 0 once all have exited. */
  async stop(signal: string): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    this.watcher?.close()
    for (const t of this.timers) clearTimeout(t)
    const all = [...this.live]
    this.o.log('info', `skitai: ${signal} received; stopping ${all.length} worker(s)`)
    await Promise.all(all.map((h) => this.retire(h)))
    this.o.log('info', 'skitai: all workers stopped')
    await this.o.flush()
    process.exit(0)
  }
}
