import { type ChildProcess, spawn } from 'node:child_process'
import { appendFileSync, mkdtempSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The reliability suite's harness: the target server in its own process (fixtures/serve.ts under
 * `skitai.run()`), raw hostile clients, and the figures each probe prints. `npm run test:reliability`
 * sets RELIABILITY_FULL=1 (the sizes of RELIABILITY.md); inside `npm test` the same probes run smaller.
 */

export const FULL = process.env.RELIABILITY_FULL === '1'

/** `full` under `npm run test:reliability`, `short` inside `npm test`. */
export function scale(full: number, short: number): number {
  return FULL ? full : short
}

const SERVE = fileURLToPath(new URL('./fixtures/serve.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface Target {
  port: number
  child: ChildProcess
  uploadDir: string
  output(): string
  status(): Promise<Status>
  /** SIGTERM and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export interface Status {
  rss: number
  inFlight: number
  connections: number
  tempFiles: number
  polluted: boolean
}

/** Start the target server with these environment settings (see fixtures/serve.ts). */
export async function startTarget(env: Record<string, string | number> = {}): Promise<Target> {
  const uploadDir = mkdtempSync(join(tmpdir(), 'skitai-reliability-up-'))
  const child = spawn(
    process.execPath,
    ['--conditions=skitai-source', '--import', './packages/engine/bin/register.mjs', SERVE],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        UPLOAD_DIR: uploadDir,
        ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])),
      },
    },
  )
  let out = ''
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-256 * 1024)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the target did not start:\n${out}`)), 30_000)
    const look = () => {
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    }
    child.stderr?.on('data', look)
    child.stdout?.on('data', look)
    void exited.then(() => reject(new Error(`the target exited:\n${out}`)))
  })
  return {
    port,
    child,
    uploadDir,
    output: () => out,
    async status() {
      // from an address of its own: the probes fill 127.0.0.1's per-address caps on purpose
      const r = await request(port, 'GET /_status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', {
        ms: 10_000,
        localAddress: '127.0.0.3',
      })
      return JSON.parse(r.body) as Status
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode
      child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 25_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}

export interface Answer {
  /** Everything received, as latin1 text. */
  text: string
  /** The status of the first final response (0: none). */
  status: number
  body: string
  /** The server closed the connection. */
  closed: boolean
  ms: number
}

/**
 * One raw request on a new connection: write `data` (parts with `gapMs` between them), optionally
 * half-close, and read until the server closes, `until` matches, or `ms` passes.
 */
export function request(
  port: number,
  data: string | Buffer | (string | Buffer)[],
  options: { ms?: number; until?: (t: string) => boolean; half?: boolean; localAddress?: string; gapMs?: number } = {},
): Promise<Answer> {
  const t0 = performance.now()
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1', localAddress: options.localAddress })
    let text = ''
    let closed = false
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      s.destroy()
      resolve(answer(text, closed, performance.now() - t0))
    }
    const timer = setTimeout(finish, options.ms ?? 5000)
    s.on('data', (d) => {
      text += d.toString('latin1')
      if (options.until?.(text)) finish()
    })
    s.on('error', () => {
      closed = true
      finish()
    })
    s.on('close', () => {
      closed = true
      finish()
    })
    s.on('connect', async () => {
      const parts = Array.isArray(data) ? data : [data]
      for (const p of parts) {
        if (s.destroyed) return
        s.write(p)
        if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs))
      }
      if (options.half) s.end()
    })
  })
}

function answer(text: string, closed: boolean, ms: number): Answer {
  // skip interim 1xx responses
  const finals = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1])).filter((s) => s >= 200)
  const head = text.indexOf('\r\n\r\n', Math.max(0, text.search(/HTTP\/1\.[01] [2-5]\d\d /)))
  return { text, status: finals[0] ?? 0, body: head < 0 ? '' : decodeBody(text.slice(head + 4)), closed, ms }
}

/** The body after the head: de-chunked when it looks chunked. */
function decodeBody(rest: string): string {
  if (!/^[0-9a-f]+\r\n/i.test(rest)) return rest
  let out = ''
  let i = 0
  while (i < rest.length) {
    const eol = rest.indexOf('\r\n', i)
    if (eol < 0) break
    const n = Number.parseInt(rest.slice(i, eol), 16)
    if (!(n > 0)) break
    out += rest.slice(eol + 2, eol + 2 + n)
    i = eol + 2 + n + 2
  }
  return out
}

/** Open a connection and resolve once connected (for stalled clients the probe keeps). */
export function openSocket(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress })
    s.once('connect', () => resolve(s))
    s.once('error', reject)
  })
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}

/** Print a probe's figure (and append it to $RELIABILITY_RESULTS when set, for RELIABILITY.md). */
export function figure(probe: string, name: string, value: number | string, unit = ''): void {
  const line = `FIGURE ${probe} | ${name} | ${value}${unit ? ` ${unit}` : ''}`
  process.stdout.write(`${line}\n`)
  const file = process.env.RELIABILITY_RESULTS
  if (file) appendFileSync(file, `${line}\n`)
}

export const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}Connection: close\r\n\r\n`

export function post(path: string, type: string, body: string | Buffer, extra = ''): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body)
  return Buffer.concat([
    Buffer.from(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${b.length}\r\n${extra}Connection: close\r\n\r\n`,
    ),
    b,
  ])
}
