// The shutdown tests' parts: the fixture server launched as a real `skitai` process, its SIGTERM and exit
// code, and a raw HTTP/1.1 client connection that tells a complete answer from a cut one.
import { connect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { freePort, LaunchedServer } from '../src/test-launch.js'

export const FIXTURE = fileURLToPath(new URL('./fixtures/shutdown/serve.ts', import.meta.url))
export const LOAD_WORKER = fileURLToPath(new URL('./fixtures/shutdown/load-worker.mjs', import.meta.url))

export interface Launched {
  server: LaunchedServer
  port: number
  /** SIGTERM now; resolves with the exit code. */
  terminate(): Promise<number | null>
  /** Resolves once the server's output contains `text`. */
  waitFor(text: string, ms?: number): Promise<void>
}

export async function launchFixture(env: Record<string, string> = {}): Promise<Launched> {
  const server = new LaunchedServer(FIXTURE, { env })
  const port = await server.start(await freePort())
  return {
    server,
    port,
    async terminate() {
      const child = server.child
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return server.exitCode
      // one signal only (server.stop() would send a second); SIGKILL well after the server's own deadline
      const gone = new Promise<void>((r) => child.once('exit', () => r()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      await gone
      clearTimeout(timer)
      return server.stop()
    },
    async waitFor(text, ms = 10_000) {
      const end = Date.now() + ms
      while (!server.output().includes(text)) {
        if (Date.now() > end) throw new Error(`no "${text}" in the server output:\n${server.output()}`)
        await sleep(5)
      }
    },
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

export interface Answer {
  status: number
  headers: Record<string, string>
  body: string
}

/** How a request on a raw connection ended. */
export type Outcome =
  | { kind: 'answered'; answer: Answer }
  /** the connection closed (FIN) before any byte of this request's answer */
  | { kind: 'closed-unanswered' }
  /** some bytes of the answer came, then the connection ended */
  | { kind: 'cut-mid-answer'; bytes: number }
  /** ECONNRESET / EPIPE */
  | { kind: 'reset'; code: string }

/**
 * One keep-alive HTTP/1.1 connection over node:net: requests are written as given (several at once for
 * pipelining) and answers are parsed in order by status line, headers and Content-Length, so a request
 * whose answer is incomplete when the connection ends is seen as such.
 */
export class RawConnection {
  readonly socket: Socket
  private buf = Buffer.alloc(0)
  private readonly waiting: Array<{ sentAt: number; done: (o: Outcome) => void }> = []
  ended = false
  error: string | null = null
  readonly connected: Promise<void>

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1')
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve)
      this.socket.once('error', reject)
    })
    this.socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d])
      this.parse()
    })
    this.socket.on('error', (e: NodeJS.ErrnoException) => {
      this.error ??= e.code ?? e.message
    })
    this.socket.on('close', () => this.finish())
  }

  /** Write one or more requests at once; resolves per request, in order. */
  send(requests: string[]): Promise<Outcome>[] {
    const out = requests.map(
      () => new Promise<Outcome>((done) => this.waiting.push({ sentAt: performance.now(), done })),
    )
    if (this.ended) this.finish()
    else this.socket.write(requests.join(''))
    return out
  }

  close(): void {
    this.socket.destroy()
  }

  private parse(): void {
    for (;;) {
      const headEnd = this.buf.indexOf('\r\n\r\n')
      if (headEnd < 0) return
      const lines = this.buf.subarray(0, headEnd).toString('latin1').split('\r\n')
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1])
      const headers: Record<string, string> = {}
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':')
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim()
      }
      const length = Number(headers['content-length'] ?? 0)
      if (this.buf.length < headEnd + 4 + length) return
      const body = this.buf.subarray(headEnd + 4, headEnd + 4 + length).toString()
      this.buf = this.buf.subarray(headEnd + 4 + length)
      this.waiting.shift()?.done({ kind: 'answered', answer: { status, headers, body } })
    }
  }

  private finish(): void {
    this.ended = true
    const first = this.waiting.shift()
    if (first !== undefined) {
      const code = this.error
      if (code === 'ECONNRESET' || code === 'EPIPE') first.done({ kind: 'reset', code })
      else if (this.buf.length > 0) first.done({ kind: 'cut-mid-answer', bytes: this.buf.length })
      else first.done({ kind: 'closed-unanswered' })
    }
    for (const w of this.waiting.splice(0)) {
      const code = this.error
      w.done(code === 'ECONNRESET' || code === 'EPIPE' ? { kind: 'reset', code } : { kind: 'closed-unanswered' })
    }
  }
}

export const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`
