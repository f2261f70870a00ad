import type { IncomingMessage, ServerResponse } from 'node:http'
import { LogSink } from './log-sink.js'
import type { EngineRequestContext } from './request-context.js'
import type { SkitaiResponse } from './response.js'

/**
 * The request log (README "Access log and transaction ids"), one line per request, fields separated by blanks in this order:
 * date time client-ip host method uri version request-body-size status response-body-size gtxnid ltxnid
 * "user" bearer-token "referer" "user-agent" x-forwarded-for worker active-connections handling-ms transfer-ms
 * (`-` for an absent value). Also the server log (app errors with stack and transaction id).
 */
export class AccessLog {
  /** False when every request is silenced (`enableAccessLog(false)` or `logOff('/')`). */
  enabled = true
  private prefixes: string[] = []
  private suffixes: string[] = []
  private hasRules = false
  private requests: LogSink = LogSink.console('stdout')
  private server: LogSink = LogSink.console('stderr')
  /** `M` for a single process or a master, `W0`, `W1` … for cluster workers. */
  workerId: string = process.env.SKITAI_WORKER_ID !== undefined ? `W${process.env.SKITAI_WORKER_ID}` : 'M'

  /** Silence paths: `'/static/'` (prefix) or `'*.css'` (suffix); `'/'` silences everything. */
  logOff(...paths: string[]): void {
    for (const p of paths) {
      if (p.startsWith('*')) this.suffixes.push(p.slice(1))
      else if (p === '/' || p === '') this.enabled = false
      else this.prefixes.push(p)
    }
    this.hasRules = this.prefixes.length + this.suffixes.length > 0
  }

  enable(on: boolean): void {
    this.enabled = on
  }

  /** Whether a request for this raw path (no query) gets a log line. */
  isLogged(path: string): boolean {
    if (!this.enabled) return false
    if (!this.hasRules) return true
    for (const p of this.prefixes) if (path.startsWith(p)) return false
    for (const s of this.suffixes) if (path.endsWith(s)) return false
    return true
  }

  /** The directory of request.log and server.log; null while they go to stdout/stderr. */
  dir: string | null = null

  toFiles(dir: string): void {
    this.dir = dir
    void this.requests.close()
    void this.server.close()
    this.requests = LogSink.file(dir, 'request.log')
    this.server = LogSink.file(dir, 'server.log')
  }

  /** A line for the server log: `date time [level] message`. */
  serverLog(level: 'info' | 'warn' | 'error', message: string): void {
    this.server.write(`${stamp()} [${level}] ${message}`)
  }

  /** An app error: message with the transaction id, then the stack. */
  appError(error: unknown, txnid: string, where: string): void {
    const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error)
    this.server.write(`${stamp()} [error] ${txnid} ${where}: ${text}`)
  }

  request(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: EngineRequestContext,
    headTime: number,
    active: number,
  ): void {
    const now = performance.now()
    const h = req.headers
    const started = headTime > 0 ? headTime : now
    const auth = h.authorization
    const line =
      `${stamp()} ${(req as { skitaiIp?: string }).skitaiIp ?? req.socket?.remoteAddress ?? '-'} ${h.host ?? h[':authority'] ?? '-'} ${req.method} ${(req as any).originalUrl ?? req.url} HTTP/${req.httpVersion} ` +
      `${ctx.requestBytes} ${statusAndBytes(res)} ` +
      `${ctx.gtxnid} ${ctx.ltxnid} ${quoted(ctx.user ?? undefined)} ${auth !== undefined && /^bearer /i.test(auth) ? auth.slice(7).trim() || '-' : '-'} ` +
      `${quoted(h.referer)} ${quoted(h['user-agent'])} ${first(h['x-forwarded-for'])} ${this.workerId} ${active} ` +
      `${Math.round(started - ctx.startTime)}ms ${Math.round(now - started)}ms`
    this.requests.write(line)
  }

  /**
   * One line per WebSocket session, written when it closes: the request line's fields with status 101,
   * bytes received and sent on the connection as the body sizes, handshake ms and session ms as the two times, then
   * `ws in=N out=N close=CODE` (messages received and sent, close code).
   */
  webSocket(req: IncomingMessage, ctx: EngineRequestContext, s: WebSocketLogFacts, active: number): void {
    const now = performance.now()
    const h = req.headers
    const auth = h.authorization
    const line =
      `${stamp()} ${s.remoteAddress} ${h.host ?? '-'} ${req.method} ${req.url} HTTP/${req.httpVersion} ` +
      `${s.bytesIn} 101 ${s.bytesOut} ${ctx.gtxnid} ${ctx.ltxnid} ${quoted(ctx.user ?? undefined)} ` +
      `${auth !== undefined && /^bearer /i.test(auth) ? auth.slice(7).trim() || '-' : '-'} ` +
      `${quoted(h.referer)} ${quoted(h['user-agent'])} ${first(h['x-forwarded-for'])} ${this.workerId} ${active} ` +
      `${Math.round(s.openedAt - ctx.startTime)}ms ${Math.round(now - s.openedAt)}ms ` +
      `ws in=${s.messagesIn} out=${s.messagesOut} close=${s.closeCode}`
    this.requests.write(line)
  }

  flush(): Promise<void> {
    this.requests.flush()
    this.server.flush()
    return Promise.resolve()
  }

  close(): Promise<void> {
    return Promise.all([this.requests.close(), this.server.close()]).then(() => undefined)
  }
}

/**
 * What really happened: a finished response's status and body size; one cut short after its head, the
 * status and the body bytes written; one never sent (the client went away, a hung handler cut) `499 0`,
 * nginx's "client closed request".
 */
function statusAndBytes(res: ServerResponse): string {
  // an HTTP/2 compatibility response has no writableFinished: ended is as far as it tells
  if (res.writableFinished ?? res.writableEnded) {
    const length = res.getHeader('content-length')
    return `${res.statusCode} ${length === undefined ? responseBytes(res) : length}`
  }
  if (!res.headersSent) return '499 0'
  return `${res.statusCode} ${responseBytes(res)}`
}

/** What the WebSocket log line reads of a session (ws-session.ts). */
export interface WebSocketLogFacts {
  readonly remoteAddress: string
  readonly bytesIn: number
  readonly bytesOut: number
  readonly messagesIn: number
  readonly messagesOut: number
  readonly openedAt: number
  readonly closeCode: number
}

/** Body bytes of a response without Content-Length: counted by SkitaiResponse (not by other responses). */
function responseBytes(res: ServerResponse): number | string {
  const n = (res as Partial<SkitaiResponse>).skitaiBodyBytes
  return typeof n === 'number' ? n : '-'
}

function quoted(v: string | undefined): string {
  if (v === undefined || v === '') return '-'
  // escaping is rare: skip the regex unless there is something to escape
  if (v.indexOf('"') < 0 && v.indexOf('\\') < 0) return `"${v}"`
  return `"${v.replace(/["\\]/g, '\\$&')}"`
}

function first(v: string | string[] | undefined): string {
  if (v === undefined) return '-'
  const s = Array.isArray(v) ? v.join(',') : v
  return s.replace(/\s+/g, '') || '-'
}

let stampSecond = -1
let stampText = ''

/** `YYYY.MM.DD HH:MM:SS` local time, formatted once per second. */
export function stamp(): string {
  const ms = Date.now()
  const sec = Math.floor(ms / 1000)
  if (sec !== stampSecond) {
    stampSecond = sec
    const d = new Date(ms)
    stampText =
      `${d.getFullYear()}.${pad(d.getMonth() + 1)}.${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  }
  return stampText
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}
