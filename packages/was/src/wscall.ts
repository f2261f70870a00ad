/**
 * `was.ws(url, message)`: open a WebSocket (with `ws`), send one message, collect one reply, close.
 * An object message is sent as JSON and a JSON reply is parsed back. The Result's status_code is 200
 * when a reply came, or the HTTP status of a refused handshake.
 */
import type WebSocket from 'ws'
import type { Cluster } from './aliases.js'
import { pickMember } from './balance.js'
import type { Pending } from './call.js'
import { Finishable } from './finishable.js'
import { wsLib } from './lazy-client-libs.js'
import type { Member } from './member.js'
import {
  FAIL_CANCELLED,
  FAIL_CLOSED,
  FAIL_CONNECT,
  FAIL_DNS,
  FAIL_OTHER,
  FAIL_TIMEOUT,
  Result,
  STATUS_DONE,
  STATUS_FAILED,
  STATUS_TIMEOUT,
} from './result.js'

export class WsCall extends Finishable implements Pending {
  private readonly _cluster: Cluster | null
  private readonly _fixed: Member | null
  private readonly _path: string
  private readonly _absolute: string
  private readonly _payload: string | Buffer
  private readonly _json: boolean
  private readonly _headers: Record<string, string>
  private _socket: WebSocket | null
  private _member: Member | null
  private _tried: Member[] | null

  constructor(
    url: string,
    target: { cluster: Cluster | null; member: Member | null; path: string; absolute: string },
    message: unknown,
    headers: Record<string, string>,
  ) {
    super(new Result(url, null))
    this._cluster = target.cluster
    this._fixed = target.member
    this._path = target.path
    this._absolute = target.absolute
    this._json = typeof message === 'object' && message !== null && !Buffer.isBuffer(message)
    this._payload = this._json ? JSON.stringify(message) : Buffer.isBuffer(message) ? message : String(message)
    this._headers = headers
    this._socket = null
    this._member = null
    this._tried = null
  }

  start(): this {
    if (this._cluster === null) this._open(this._absolute, null)
    else {
      const m = this._fixed ?? pickMember(this._cluster, null)
      if (m === null) this._end(STATUS_FAILED, FAIL_CONNECT, `no member of @${this._cluster.name} to call`, null, null)
      else this._open(m.origin.replace(/^http/, 'ws') + this._path, m)
    }
    return this
  }

  private _open(url: string, m: Member | null): void {
    this._member = m
    if (m !== null) m.inflight++
    const headers =
      m?.authorization != null && this._headers.authorization === undefined
        ? { ...this._headers, authorization: m.authorization }
        : this._headers
    let ws: WebSocket
    try {
      ws = new (wsLib())(url, { headers, perMessageDeflate: false })
    } catch (e) {
      this._end(STATUS_FAILED, FAIL_OTHER, (e as Error).message, e as Error, null)
      return
    }
    this._socket = ws
    ws.on('open', () => ws.send(this._payload))
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      let value: unknown = isBinary ? data : data.toString('utf8')
      if (this._json && !isBinary) {
        try {
          value = JSON.parse(value as string)
        } catch {}
      }
      this.result.body = data
      this._end(STATUS_DONE, 200, '', null, value)
    })
    ws.on('unexpected-response', (_req, res) => {
      this.result.headers = res.headers as Record<string, string>
      this._end(STATUS_DONE, res.statusCode ?? 0, res.statusMessage ?? '', null, null)
    })
    let opened = false
    ws.on('open', () => {
      opened = true
    })
    ws.on('error', (err: Error & { code?: string }) => {
      // A socket given up for another member (fail-over) still emits: only the current one counts.
      if (this.finished || this._socket !== ws) return
      const code = err.code ?? ''
      // Not readyState: ws already says CLOSING when it emits a connect error.
      if (m !== null && !opened && (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND')) {
        m.markDown(`${code}: ${err.message}`)
        if (this._fixed === null && this._cluster !== null) {
          ;(this._tried ??= []).push(m)
          const next = pickMember(this._cluster, this._tried)
          if (next !== null) {
            m.inflight--
            this._open(next.origin.replace(/^http/, 'ws') + this._path, next)
            return
          }
        }
      }
      const fc =
        code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? FAIL_DNS : code === 'ECONNREFUSED' ? FAIL_CONNECT : FAIL_OTHER
      this._end(STATUS_FAILED, fc, err.message, err, null)
    })
    ws.on('close', () => {
      if (this._socket === ws) this._end(STATUS_FAILED, FAIL_CLOSED, 'WebSocket closed before a reply', null, null)
    })
  }

  private _end(status: 1 | 2 | 3, code: number, reason: string, err: Error | null, data: unknown): void {
    if (this.finished) return
    this.finished = true
    const r = this.result
    r.status = status
    r.status_code = code
    r.reason = reason
    r.error = err ?? (status === STATUS_DONE ? null : new Error(reason))
    r.data = data
    const m = this._member
    if (m !== null) {
      m.inflight--
      m.countCall(status, code)
      r.member = m.address
    }
    const s = this._socket
    if (s !== null && s.readyState !== s.CLOSED) {
      if (s.readyState === s.OPEN) s.close(1000)
      else s.terminate()
    }
    this._notify()
  }

  abort(timedOut: boolean, why: string): void {
    this._end(timedOut ? STATUS_TIMEOUT : STATUS_FAILED, timedOut ? FAIL_TIMEOUT : FAIL_CANCELLED, why, null, null)
  }
}
