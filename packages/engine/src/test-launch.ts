import { type ChildProcess, spawn } from 'node:child_process'
import { createServer, connect } from 'node:net'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The `skitai` command (bin/skitai.js), one level above both src/ and dist/. */
const BIN = fileURLToPath(new URL('../bin/skitai.js', import.meta.url))
const OUTPUT_KEPT = 64 * 1024

/** A serve script run by the `skitai` command in a child process, for `testClient('./serve.ts')`. */
export class LaunchedServer {
  child: ChildProcess | undefined
  port: number | undefined
  exitCode: number | null = null
  private out = ''
  private exited: Promise<void> | undefined
  private readonly script: string

  constructor(
    script: string,
    private readonly options: { args?: string[]; timeout?: number; env?: Record<string, string>; root?: string },
  ) {
    this.script = resolve(options.root ?? process.cwd(), script)
  }

  output(): string {
    return this.out
  }

  /** Spawn and wait until the port accepts connections; rejects with the server's output if it exits first. */
  async start(port: number): Promise<number> {
    this.port = port
    if (await canConnect(port)) throw new Error(`cannot launch ${this.script}: port ${port} is already in use`)
    // keep the parent's export conditions (tests resolve @skitai/* to src/ with 'skitai-source')
    const conditions = process.execArgv.filter((a) => a.startsWith('--conditions') || a.startsWith('-C'))
    const child = spawn(
      process.execPath,
      [...conditions, BIN, this.script, '--port', String(port), ...(this.options.args ?? [])],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...this.options.env },
      },
    )
    this.child = child
    const keep = (chunk: Buffer) => {
      this.out = (this.out + chunk.toString()).slice(-OUTPUT_KEPT)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    this.exited = new Promise((done) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : null)
        done()
      })
    })
    const deadline = Date.now() + (this.options.timeout ?? 30) * 1000
    let gone = false
    void this.exited.then(() => {
      gone = true
    })
    while (!(await canConnect(port))) {
      if (gone)
        throw new Error(`${this.script} exited (code ${this.exitCode}) before listening on ${port}:\n${this.out}`)
      if (Date.now() > deadline) {
        await this.stop()
        throw new Error(`${this.script} did not listen on ${port} within ${this.options.timeout ?? 30} s:\n${this.out}`)
      }
      await sleep(100)
    }
    return port
  }

  /** SIGTERM (graceful shutdown), SIGKILL after 10 s; resolves with the exit code. */
  async stop(): Promise<number | null> {
    const child = this.child
    if (!child || !this.exited) return this.exitCode
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await this.exited
      clearTimeout(timer)
    } else {
      await this.exited
    }
    return this.exitCode
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      done(true)
    })
    s.once('error', () => done(false))
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** A port that was free a moment ago (bind to 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => done(port))
    })
  })
}
