// A real `skitai` server process for bench/workers.mjs: `skitai saddle-workers.mjs --port P --workers N`,
// its output (the master's log lines), its worker pids (children of the master, from /proc), the CPU
// seconds of every process and the requests each worker answered (SIGUSR2, see servers/saddle-workers.mjs).
// Nothing is pinned: with `--workers 2` on 2 cores the workers need both, beside the load generator.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { cpuSecondsOf, freePort, rssOf, sleep } from './procs.mjs'

const BIN = fileURLToPath(new URL('../../packages/engine/bin/skitai.js', import.meta.url))
const SCRIPT = fileURLToPath(new URL('../servers/saddle-workers.mjs', import.meta.url))

/** Pids whose parent is `pid` (scans /proc: /proc/PID/task/PID/children needs a kernel option). */
export function childrenOf(pid) {
  const out = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // after the ")" that closes the command name: state, then ppid
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) out.push(Number(name))
    } catch {}
  }
  return out.sort((a, b) => a - b)
}

/** Proportional set size in bytes (shared pages split between the processes that map them), or null. */
export function pssOf(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
    return m ? Number(m[1]) * 1024 : null
  } catch {
    return null
  }
}

/** N of a process titled `skitai/NAME: worker #N`, else null. */
export function workerNumber(pid) {
  try {
    const m = /: worker #(\d+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}

export function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export class SkitaiServer {
  out = ''
  workers = 1
  /** Resolves with { code, signal, at } (performance.now() of the exit). */
  exited
  constructor(child, port, workers) {
    this.child = child
    this.port = port
    this.workers = workers
    this.pid = child.pid
    child.stdout.on('data', (d) => {
      this.out += d
    })
    child.stderr.on('data', (d) => {
      this.out += d
    })
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
    )
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Resolves once the output after `from` matches `re`; throws if the process exits or time runs out. */
  async waitFor(re, ms = 30_000, from = 0) {
    const deadline = Date.now() + ms
    for (;;) {
      const m = this.out.slice(from).match(re)
      if (m) return m
      if (!this.running || Date.now() > deadline)
        throw new Error(`${this.running ? 'timed out' : 'exited'} waiting for ${re}:\n${this.out.slice(-3000)}`)
      await sleep(20)
    }
  }

  /**
   * The processes that answer requests: the workers (children titled `skitai/NAME: worker #N`; from src/
   * the master also has a TypeScript compiler child for a while), or the process itself without a master.
   */
  servingPids() {
    return this.workers > 1 ? childrenOf(this.pid).filter((p) => workerNumber(p) !== null) : [this.pid]
  }

  /** CPU seconds of the master (when there is one) and of every serving process, by pid. */
  cpu() {
    const pids = this.workers > 1 ? [this.pid, ...this.servingPids()] : [this.pid]
    return new Map(pids.map((p) => [p, cpuSecondsOf(p)]))
  }

  memory() {
    const pids = this.workers > 1 ? [this.pid, ...this.servingPids()] : [this.pid]
    return pids.map((pid) => ({ pid, worker: workerNumber(pid), rss: rssOf(pid), pss: pssOf(pid) }))
  }

  /** Requests answered so far by each serving process (Map pid → n), asked by SIGUSR2. */
  async counts(ms = 5000) {
    const pids = this.servingPids()
    const from = this.out.length
    for (const p of pids) process.kill(p, 'SIGUSR2')
    const deadline = Date.now() + ms
    for (;;) {
      const seen = new Map()
      for (const m of this.out.slice(from).matchAll(/bench-count pid=(\d+) n=(\d+)/g))
        seen.set(Number(m[1]), Number(m[2]))
      if (pids.every((p) => seen.has(p))) return seen
      if (Date.now() > deadline) throw new Error(`no request counts from ${pids.filter((p) => !seen.has(p))}`)
      await sleep(10)
    }
  }

  /**
   * Stop: SIGTERM (graceful; an idle server exits at once), SIGKILL after 20 s; then any worker that
   * outlived its master (there should be none) is killed by its pid.
   */
  async stop() {
    const workers = this.workers > 1 ? this.servingPids() : []
    if (this.running) {
      this.child.kill('SIGTERM')
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000)
      await this.exited
      clearTimeout(timer)
    }
    for (let i = 0; i < 50 && workers.some(alive); i++) await sleep(100)
    for (const p of workers.filter(alive)) process.kill(p, 'SIGKILL')
  }
}

/**
 * Start the bench app with `workers` (1: one process, no master); resolves once every worker listens
 * (the master's `N of N worker(s) up`, or the single process's `listening on`).
 */
export async function startSkitai({ workers, source = false, env = {} }) {
  const port = await freePort()
  const child = spawn(process.execPath, [BIN, SCRIPT, '--port', String(port), '--workers', String(workers)], {
    env: {
      ...process.env,
      ...env,
      NODE_ENV: 'production',
      // the skitai command's own source mode: @skitai/* from src/ through its TypeScript hooks
      ...(source ? { SKITAI_SOURCE: '1' } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  const s = new SkitaiServer(child, port, workers)
  try {
    await s.waitFor(workers > 1 ? new RegExp(`${workers} of ${workers} worker\\(s\\) up`) : /listening on/, 60_000)
    if (workers > 1 && s.servingPids().length !== workers)
      throw new Error(`${s.servingPids().length} worker processes, expected ${workers}`)
  } catch (e) {
    await s.stop()
    throw e
  }
  return s
}
