/**
 * One forked worker as the master sees it: its slot number, whether it is ready, the last error it
 * reported or wrote to stderr (quoted when it dies), and promises for "ready" and "exited".
 */
import cluster, { type Worker } from 'node:cluster'
import { CpuWatch, type CriticalPoint } from './critical-point.js'
import { ENV_NAME, ENV_WORKER_ID } from './messages.js'

const STDERR_KEPT = 4096

export interface Exit {
  code: number | null
  signal: string | null
}

export class WorkerHandle {
  readonly worker: Worker
  readonly pid: number
  readonly forkedAt = performance.now()
  readyAt: number | undefined = undefined
  /** Being stopped on purpose (reload, shutdown, critical point): its exit is no failure. */
  retiring = false
  /** A replacement is queued (critical point). */
  replacing = false
  lastError: string | undefined = undefined
  readonly cpu: CpuWatch | null
  private stderrTail = ''
  readonly ready: Promise<boolean>
  readonly exited: Promise<Exit>
  private markReady: (ok: boolean) => void = () => {}

  constructor(
    readonly id: number,
    name: string,
    criticalPoint: CriticalPoint | null,
  ) {
    this.worker = cluster.fork({ [ENV_WORKER_ID]: String(id), [ENV_NAME]: name })
    this.pid = this.worker.process.pid ?? 0
    this.cpu = criticalPoint === null ? null : new CpuWatch(criticalPoint)
    this.ready = new Promise((resolve) => {
      this.markReady = resolve
    })
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code, signal) => {
        this.markReady(false)
        resolve({ code, signal })
      })
    })
    // the worker's stderr passes through, and its tail is kept: a syntax error in the app never reaches
    // the engine's error reporting (the module does not load), but it is printed there
    this.worker.process.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk)
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_KEPT)
    })
  }

  get label(): string {
    return `worker #${this.id} (pid ${this.pid})`
  }

  get isReady(): boolean {
    return this.readyAt !== undefined
  }

  becameReady(): void {
    if (this.readyAt !== undefined) return
    this.readyAt = performance.now()
    this.markReady(true)
  }

  /** Why it died: exit code or signal, and the last error it reported or printed. */
  describeExit(exit: Exit): string {
    const how = exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code}`
    const error = this.lastError ?? lastErrorLine(this.stderrTail)
    return error === undefined ? how : `${how}; last error: ${error}`
  }

  send(m: object): void {
    if (this.worker.isConnected()) this.worker.send(m, undefined, () => {})
  }

  kill(): void {
    this.worker.process.kill('SIGKILL')
  }
}

/** The last line of a stderr tail that names an error (`SyntaxError: …`), with the file line before it. */
function lastErrorLine(tail: string): string | undefined {
  const lines = tail.split('\n').map((l) => l.trim())
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!/^\w*Error\b/.test(lines[i] as string)) continue
    // node prints `file:///…/app.ts:3` and the source line above a syntax error
    const at = lines.slice(Math.max(0, i - 3), i).find((l) => /^(file:\/\/|\/).*:\d+$/.test(l))
    return at === undefined ? lines[i] : `${lines[i]} (${at})`
  }
  return undefined
}
