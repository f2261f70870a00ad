// Real cluster processes for the cluster-*.test.ts files: the `skitai` command with --workers, its
// output, the pids of its workers, one-connection requests (each lands on the worker the master picks)
// and a stop that returns the master's exit code.
import { type ChildProcess, spawn } from 'node:child_process'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { freePort } from './process-helpers.js'

const BIN = fileURLToPath(new URL('../bin/skitai.js', import.meta.url))
export const CLUSTER_SCRIPT = fileURLToPath(new URL('./fixtures/cluster/serve.ts', import.meta.url))

export interface Answer {
  status: number
  pid: number
  worker: string | null
  title: string
  X: unknown
  at: number
}

export class Cluster {
  out = ''
  exit: Promise<{ code: number | null; signal: string | null }>
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout?.on('data', (d) => (this.out += d))
    child.stderr?.on('data', (d) => (this.out += d))
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  }

  /** Start `script` with `args`; resolves once the master says its workers are up (or rejects if it exits). */
  static async start(
    args: string[],
    o: { script?: string; env?: Record<string, string>; cwd?: string; waitFor?: RegExp } = {},
  ): Promise<Cluster> {
    const port = await freePort()
    const conditions = process.execArgv.filter((a) => a.startsWith('--conditions') || a.startsWith('-C'))
    const child = spawn(
      process.execPath,
      [...conditions, BIN, o.script ?? CLUSTER_SCRIPT, '--port', String(port), ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env }, cwd: o.cwd },
    )
    const c = new Cluster(child, port)
    await c.waitFor(o.waitFor ?? /worker\(s\) up/, 30_000)
    return c
  }

  /** Resolves when the output matches `re` (searching only what came after `from`). */
  async waitFor(re: RegExp, timeoutMs = 10_000, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs
    let exited = false
    void this.exit.then(() => {
      exited = true
    })
    for (;;) {
      const m = this.out.slice(from).match(re)
      if (m !== null) return m
      if (exited || Date.now() > deadline)
        throw new Error(`${exited ? 'exited' : 'timed out'} waiting for ${re}; output:\n${this.serverLog.slice(-4000)}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  /** A GET on a new connection. */
  get(path: string, timeoutMs?: number): Promise<Answer> {
    return get(this.port, path, timeoutMs)
  }

  /** The output without access-log lines (for failure messages). */
  get serverLog(): string {
    return this.out
      .split('\n')
      .filter((l) => !/ HTTP\/\d\.\d \d+ \d{3} /.test(l))
      .join('\n')
  }

  /** Worker pids seen in `n` one-connection requests. */
  async pids(n = 20): Promise<Set<number>> {
    const seen = new Set<number>()
    for (let i = 0; i < n; i++) seen.add((await this.get('/')).pid)
    return seen
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: string | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000)
    const e = await this.exit
    clearTimeout(timer)
    return e
  }
}

export function get(port: number, path: string, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, ...JSON.parse(body) })
        } catch (e) {
          reject(new Error(`${path}: ${res.statusCode} ${body.slice(0, 200)} (${(e as Error).message})`))
        }
      })
      res.on('error', reject)
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${path}: no answer in ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end()
  })
}

/** Whether a process still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
