/**
 * The worker side of `run({ workers })` (README "Workers", ARCHITECTURE.md "Workers"): a process forked by
 * the master that runs the same serve script, joins the shared state through the master, listens on the
 * shared port, says `ready`, and closes gracefully when the master says `stop`.
 */
import cluster from 'node:cluster'
import { setSharedState } from '@skitai/was'
import type { AccessLog } from '../access-log.js'
import { type CriticalPoint, reportCpu } from './critical-point.js'
import { ClusterSharedState } from './ipc-shared-state.js'
import { CTL, type CtlMessage, ENV_NAME, ENV_WORKER_ID, isCtlMessage } from './messages.js'

/** What the worker needs of the engine (engine.ts and engine-run.ts import this file: no import of the class). */
export interface WorkerEngine {
  readonly log: AccessLog
  close(graceSeconds?: number): Promise<void>
}

/** True in a worker forked by a Skitai master (not in a process that uses node:cluster for itself). */
export function isSkitaiWorker(): boolean {
  return cluster.isWorker && process.env[ENV_WORKER_ID] !== undefined
}

export function workerNumber(): string {
  return process.env[ENV_WORKER_ID] ?? '?'
}

function sendCtl(m: CtlMessage): void {
  if (process.connected) process.send?.(m)
}

function describeError(e: unknown): string {
  if (e instanceof Error) {
    const where = e.stack?.split('\n').find((l) => l.trimStart().startsWith('at '))
    return `${e.name}: ${e.message}${where ? ` (${where.trim()})` : ''}`
  }
  return String(e)
}

let started = false

/**
 * Set as soon as the serve script imports the engine: the process title, and every uncaught error
 * told to the master (a monitor listener: it changes nothing about how the error is handled), so the
 * master can say why a worker died.
 */
export function startWorkerProcess(): void {
  if (started) return
  started = true
  process.title = `skitai/${process.env[ENV_NAME] ?? 'app'}: worker #${workerNumber()}`
  process.on('uncaughtExceptionMonitor', (err) => sendCtl({ type: CTL, cmd: 'error', message: describeError(err) }))
}

export interface WorkerServeOptions {
  /** `useRedis` was called: Redis stays the backend, the master relays nothing. */
  usesRedis: boolean
  criticalPoint: CriticalPoint | null
  /** An app mounted here asked for the reloader. */
  wantsReloader: () => boolean
}

/**
 * Join the shared state (before the mounts are prepared, so initial `skitai.g` values see what the
 * others hold), listen, tell the master. A failure to start is told to the master and ends the process.
 */
export async function serveAsWorker(
  engine: WorkerEngine,
  listen: () => Promise<number>,
  o: WorkerServeOptions,
): Promise<number> {
  const log = (level: 'info' | 'warn' | 'error', m: string) => engine.log.serverLog(level, m)
  if (!o.usesRedis) {
    const state = new ClusterSharedState()
    void setSharedState(state).close()
    if (!(await state.join(5000)))
      log('warn', `skitai: worker #${workerNumber()}: no shared-state snapshot from the master within 5 s`)
  }
  process.on('message', (m) => {
    if (!isCtlMessage(m) || m.cmd !== 'stop') return
    // the master kills a worker that overstays; this is the worker's own last resort
    setTimeout(() => process.exit(1), (m.grace + 4) * 1000).unref()
    engine.close(m.grace).then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`skitai: worker #${workerNumber()}: shutdown failed: ${e?.stack ?? e}\n`)
        process.exit(1)
      },
    )
  })
  let port: number
  try {
    port = await listen()
  } catch (e) {
    sendCtl({ type: CTL, cmd: 'error', message: describeError(e) })
    log('error', `skitai: worker #${workerNumber()} could not start: ${(e as Error)?.stack ?? e}`)
    await engine.log.flush()
    process.exit(1)
  }
  if (o.wantsReloader()) sendCtl({ type: CTL, cmd: 'reloader' })
  sendCtl({ type: CTL, cmd: 'ready' })
  if (o.criticalPoint !== null) reportCpu(o.criticalPoint.interval)
  return port
}
