/**
 * Replacing a worker without dropping a request (README "Workers", SIGHUP): fork the new worker, wait
 * until it listens (it shares the port with the old one: the master hands new connections to both),
 * then stop the old one gracefully. A new worker that fails to start is dropped and the old one stays.
 */
import type { WorkerHandle } from './worker-handle.js'

export interface Replacing {
  /** Fork a worker for slot `id` (not yet in the slot). */
  fork(id: number): WorkerHandle
  /** Put `next` in the slot. */
  install(next: WorkerHandle): void
  /** Stop `old` gracefully; resolves when it has exited (killed after the grace time). */
  retire(old: WorkerHandle): Promise<void>
  log(level: 'info' | 'warn' | 'error', message: string): void
  /** How long a new worker may take to listen. */
  readyTimeoutMs: number
}

/** Replace `old` by a new worker in its slot; false (old kept) when the new one does not start. */
export async function replaceWorker(r: Replacing, old: WorkerHandle, why: string): Promise<boolean> {
  const next = r.fork(old.id)
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), r.readyTimeoutMs)
  })
  const ok = await Promise.race([next.ready, timedOut])
  clearTimeout(timer)
  if (!ok) {
    next.retiring = true
    let reason: string
    if (next.worker.isDead()) reason = next.describeExit(await next.exited)
    else {
      next.kill()
      reason = `not listening after ${r.readyTimeoutMs / 1000} s; killed`
    }
    r.log(
      'error',
      `skitai: ${why}: the new worker #${old.id} (pid ${next.pid}) failed to start (${reason}); ${old.label} keeps serving`,
    )
    return false
  }
  r.install(next)
  r.log('info', `skitai: ${why}: ${next.label} is listening; stopping ${old.label}`)
  await r.retire(old)
  return true
}

/** Replace every worker, one at a time; stops at the first one that fails to start. */
export async function rollingReload(r: Replacing, workers: () => WorkerHandle[], why: string): Promise<boolean> {
  const started = performance.now()
  const olds = workers()
  for (const old of olds) {
    if (old.retiring || old.worker.isDead()) continue
    if (!(await replaceWorker(r, old, why))) {
      r.log('warn', `skitai: ${why}: stopped; the workers not yet replaced keep the old code`)
      return false
    }
  }
  r.log('info', `skitai: ${why}: ${olds.length} worker(s) replaced in ${Math.round(performance.now() - started)} ms`)
  return true
}
