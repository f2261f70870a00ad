/**
 * Serves Saddle apps on a real engine socket (127.0.0.1, port 0) for the state/security tests, with
 * the logs written to a temporary directory (so tests can read the access log and stay quiet).
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Engine } from '@skitai/engine'
import type { Saddle } from '@skitai/saddle'
import { request } from 'undici'
import { type Res, setCookies } from '../helpers.ts'

export const KEY = 'test-securekey-0123456789-abcdefghij-XYZ'

export interface Served {
  base: string
  port: number
  logDir: string
  get(path: string, headers?: Record<string, string>): Promise<Reply>
  send(method: string, path: string, headers?: Record<string, string>, body?: string): Promise<Reply>
  accessLog(): string
  /** Waits (up to 3 s) for an access-log line matching `re`; the log is written after the response. */
  logLine(re: RegExp): Promise<string | undefined>
  close(): Promise<void>
}

/** The saddle test helpers' one response shape. */
export type Reply = Res

export async function serve(mounts: Record<string, Saddle>): Promise<Served> {
  const engine = new Engine({ argv: [] })
  const logDir = mkdtempSync(join(tmpdir(), 'saddle-auth-'))
  engine.enableFileLogging(logDir)
  for (const [point, app] of Object.entries(mounts)) engine.mount(point, app)
  const port = await engine.listen({ port: 0, address: '127.0.0.1' })
  const base = `http://127.0.0.1:${port}`
  const send = async (method: string, path: string, headers: Record<string, string> = {}, body?: string) => {
    const r = await request(base + path, { method: method as any, headers, body })
    const buf = Buffer.from(await r.body.arrayBuffer())
    const text = buf.toString('utf8')
    return {
      status: r.statusCode,
      headers: r.headers as Record<string, string | string[] | undefined>,
      body: buf,
      text,
      json: () => JSON.parse(text),
      cookies: setCookies(r.headers['set-cookie']),
    }
  }
  return {
    base,
    port,
    logDir,
    get: (path, headers) => send('GET', path, headers),
    send,
    accessLog: () => {
      try {
        return readFileSync(join(logDir, 'request.log'), 'utf8')
      } catch {
        return ''
      }
    },
    async logLine(re: RegExp) {
      for (let i = 0; i < 60; i++) {
        const line = this.accessLog()
          .split('\n')
          .find((l) => re.test(l))
        if (line !== undefined) return line
        await new Promise((r) => setTimeout(r, 50))
      }
      return undefined
    },
    close: () => engine.close(1),
  }
}

/** `name=value` of a Set-Cookie line, for a Cookie header. */
export function cookiePair(setCookie: string): string {
  return setCookie.split(';')[0]!
}

/** A simple browser-like cookie store: remembers Set-Cookie lines (deletions too). */
export class Cookies {
  private readonly map = new Map<string, string>()
  take(reply: Reply): Reply {
    for (const line of reply.cookies) {
      const pair = cookiePair(line)
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      if (/Max-Age=0/i.test(line)) this.map.delete(name)
      else this.map.set(name, pair.slice(eq + 1))
    }
    return reply
  }
  get(name: string): string | undefined {
    return this.map.get(name)
  }
  set(name: string, value: string): void {
    this.map.set(name, value)
  }
  header(): Record<string, string> {
    return this.map.size === 0 ? {} : { cookie: [...this.map].map(([k, v]) => `${k}=${v}`).join('; ') }
  }
}
