import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ClientHttp2Session } from 'node:http2'
import { connect } from 'node:net'
import { Engine } from '@skitai/engine'

/** A fresh engine with the access log off (tests that check the log turn it on). */
export function quietEngine(): Engine {
  const e = new Engine()
  e.enableAccessLog(false)
  return e
}

/**
 * Write `data` to a raw TCP connection and collect everything that comes back until the server closes
 * the connection, `until` matches the received text, or `ms` passes.
 */
export function raw(
  port: number,
  data: string | Buffer | (string | Buffer)[],
  options: { ms?: number; until?: (text: string) => boolean; gapMs?: number } = {},
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1')
    let text = ''
    let closed = false
    const finish = () => {
      clearTimeout(timer)
      s.destroy()
      resolve({ text, closed })
    }
    const timer = setTimeout(finish, options.ms ?? 3000)
    s.on('data', (d) => {
      text += d.toString('latin1')
      if (options.until?.(text)) finish()
    })
    s.on('end', () => {
      closed = true
      finish()
    })
    s.on('close', () => {
      closed = true
      finish()
    })
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') {
        closed = true
        finish()
      } else reject(e)
    })
    s.on('connect', async () => {
      const parts = Array.isArray(data) ? data : [data]
      for (const p of parts) {
        s.write(p)
        if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs))
      }
    })
  })
}

/** Split a raw HTTP/1.1 stream into status codes, in order. */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Reads the body itself (as Express would) and answers `got N` with its size. */
export function counting(req: IncomingMessage, res: ServerResponse): void {
  let n = 0
  req.on('data', (c: Buffer) => {
    n += c.length
  })
  req.on('end', () => res.end(`got ${n}`))
}

/** One GET on an open HTTP/2 session: its status and body. */
export function h2Get(s: ClientHttp2Session, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = s.request({ ':path': path })
    let body = ''
    let status = 0
    r.on('response', (h) => {
      status = Number(h[':status'])
    })
    r.setEncoding('utf8')
    r.on('data', (d) => {
      body += d
    })
    r.on('end', () => resolve({ status, body }))
    r.on('error', reject)
  })
}
