/**
 * One backend HTTP request in flight. It is its own undici dispatch handler (the v2 handler API:
 * onRequestStart/onResponseStart/onResponseData/onResponseEnd/onResponseError), which costs less than
 * `request()` (no body stream object) and gives a controller to abort it. For alias calls it picks a
 * member, and on a connection failure marks that member down and goes on to another (fail-over).
 */
import { channel } from 'node:diagnostics_channel'
import type { Cluster } from './aliases.js'
import { pickMember } from './balance.js'
import { CONNECT_ERRORS, DROP_ERRORS, failoverAction, nextMember } from './failover.js'
import { type Kind, decodeBody } from './codecs.js'
import { defaultDispatcher } from './dispatchers.js'
import { Finishable } from './finishable.js'
import type { Member } from './member.js'
import {
  FAIL_CANCELLED,
  FAIL_CLOSED,
  FAIL_CONNECT,
  FAIL_DECODE,
  FAIL_DNS,
  FAIL_OTHER,
  FAIL_TIMEOUT,
  Result,
  STATUS_DONE,
  STATUS_FAILED,
  STATUS_TIMEOUT,
} from './result.js'

export type Body = string | Buffer | Uint8Array | AsyncIterable<Uint8Array> | NodeJS.ReadableStream | null

export interface CallSpec {
  readonly method: string
  /** The URL as given ('@alias/path' or absolute). */
  readonly url: string
  /** The alias to balance over, or null for an absolute URL. */
  readonly cluster: Cluster | null
  /** A single member to use (a `.map` call), instead of balancing. */
  readonly member: Member | null
  /** Origin of an absolute URL ('' for alias calls). */
  readonly origin: string
  /** Path and query. */
  readonly path: string
  readonly headers: Record<string, string>
  readonly body: Body
  /** A buffered body can be sent again to another member; a stream cannot. */
  readonly replayable: boolean
  /** Headers/body timeout in ms; 0 = the dispatcher's default. */
  readonly timeoutMs: number
  readonly kind: Kind
  /** Largest response body accepted, in bytes. */
  readonly maxSize: number
}

/**
 * Every finished call is published here (when someone listens) with its transaction ids, so a logger can
 * write one line per backend call: `{ method, url, member, status, status_code, reason, gtxnid, ltxnid }`.
 */
export const callChannel = channel('skitai.was.call')

/** What a Task collects: an HTTP Call or a WebSocket exchange (wscall.ts). */
export interface Pending {
  readonly finished: boolean
  readonly result: Result
  wait(ms: number): Promise<Result | null>
  onFinish(fn: (r: Result) => void): void
  abort(timedOut: boolean, why: string): void
}

interface Controller {
  abort(reason: Error): void
}

export class Call extends Finishable implements Pending {
  readonly spec: CallSpec
  /** Member currently used (alias calls). */
  private _member: Member | null
  /** Members already tried and failed (fail-over), null until the first failure. */
  private _tried: Member[] | null
  private _controller: Controller | null
  private _cancel: Error | null
  private _statusCode: number
  private _statusText: string
  private _headers: Record<string, string | string[] | undefined> | null
  private _chunks: Buffer[] | null
  private _size: number

  /** `keyed`: the result may be cached on its own (not a `.map` member). */
  constructor(spec: CallSpec, keyed: boolean) {
    super(new Result(spec.url, keyed ? spec : null))
    this.spec = spec
    this._member = null
    this._tried = null
    this._controller = null
    this._cancel = null
    this._statusCode = 0
    this._statusText = ''
    this._headers = null
    this._chunks = null
    this._size = 0
  }

  start(): this {
    const s = this.spec
    if (s.cluster === null) {
      this._dispatch(null)
      return this
    }
    const m = s.member ?? pickMember(s.cluster, null)
    if (m === null) this._fail(STATUS_FAILED, FAIL_CONNECT, `no member of @${s.cluster.name} to call`, null)
    else this._dispatch(m)
    return this
  }

  private _dispatch(m: Member | null): void {
    const s = this.spec
    let headers = s.headers
    let origin = s.origin
    let dispatcher = defaultDispatcher()
    if (m !== null) {
      this._member = m
      m.inflight++
      origin = m.origin
      dispatcher = m.dispatcher()
      if (m.authorization !== null && headers.authorization === undefined) {
        headers = { ...headers, authorization: m.authorization }
      }
    }
    const opts: Record<string, unknown> = { origin, path: s.path, method: s.method, headers, body: s.body }
    if (s.timeoutMs > 0) {
      opts.headersTimeout = s.timeoutMs
      opts.bodyTimeout = s.timeoutMs
    }
    try {
      dispatcher.dispatch(opts as any, this as any)
    } catch (e) {
      this.onResponseError(null, e as Error)
    }
  }

  // ---- undici handler (v2) ----
  onRequestStart(controller: Controller): void {
    this._controller = controller
    if (this._cancel !== null) controller.abort(this._cancel)
  }

  onResponseStart(
    _c: unknown,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    this._statusCode = statusCode
    this._statusText = statusMessage ?? ''
    this._headers = headers
  }

  onResponseData(_c: unknown, chunk: Buffer): void {
    if (this.finished) return
    this._size += chunk.length
    if (this._size > this.spec.maxSize) {
      this._fail(STATUS_FAILED, FAIL_DECODE, `response body over ${this.spec.maxSize} bytes`, null)
      return
    }
    if (this._chunks === null) this._chunks = [chunk]
    else this._chunks.push(chunk)
  }

  onResponseEnd(): void {
    if (this.finished) return
    const r = this.result
    const chunks = this._chunks
    const body =
      chunks === null ? EMPTY : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this._size)
    const headers = this._headers ?? {}
    const ct = headers['content-type']
    const d = decodeBody(this.spec.kind, this.spec.method, this._statusCode, typeof ct === 'string' ? ct : '', body)
    r.headers = headers
    r.body = chunks === null ? null : body
    if (d.error !== null) {
      r.reason = d.error.message
      this._finish(STATUS_FAILED, FAIL_DECODE, d.error)
      return
    }
    r.data = d.data
    r.fault = d.fault
    r.reason = this._statusText
    this._finish(STATUS_DONE, this._statusCode, null)
  }

  onResponseError(_c: unknown, err: Error): void {
    if (this.finished) return
    const code = (err as { code?: string }).code ?? ''
    const m = this._member
    if (m !== null && this._statusCode === 0 && this._cancel === null) {
      const s = this.spec
      const action = failoverAction(code, s.method, { afterConnectError: s.replayable, afterDrop: s.replayable })
      if (action !== 'none') {
        m.markDown(`${code}: ${err.message}`)
        m.inflight--
        this._member = null
        // A member of a .map call is not replaced: the set reports it as failed.
        if (s.member === null && s.cluster !== null && action === 'retry-elsewhere') {
          const next = nextMember(s.cluster, (this._tried ??= []), m)
          if (next !== null) {
            this._controller = null
            this._dispatch(next)
            return
          }
        }
        this._member = m
        m.inflight++
      }
    }
    this._fail(...classify(code, err, this._statusCode !== 0))
  }

  // ---- collection (wait, onFinish: finishable.ts) ----
  /** Stop the call (timeout, or the request ended without collecting it) and free its connection. */
  abort(timedOut: boolean, why: string): void {
    if (this.finished) return
    const err = new Error(why)
    ;(err as { code?: string }).code = timedOut ? 'SKITAI_TIMEOUT' : 'SKITAI_CANCELLED'
    this._fail(timedOut ? STATUS_TIMEOUT : STATUS_FAILED, timedOut ? FAIL_TIMEOUT : FAIL_CANCELLED, why, err)
  }

  private _fail(status: 1 | 2, code: number, reason: string, err: Error | null): void {
    if (this.finished) return
    const r = this.result
    r.reason = reason
    r.data = null
    if (this._headers !== null) r.headers = this._headers
    const e = err ?? new Error(reason)
    // Abort the exchange on the wire so the connection is closed or returned, not left reading.
    this._cancel = e
    if (this._controller !== null) {
      try {
        this._controller.abort(e)
      } catch {}
    }
    this._finish(status, code, e)
  }

  private _finish(status: 1 | 2 | 3, code: number, err: Error | null): void {
    this.finished = true
    const r = this.result
    r.status = status
    r.status_code = code
    r.error = err
    this._chunks = null
    const m = this._member
    if (m !== null) {
      m.inflight--
      m.countCall(status, code)
      r.member = m.address
    }
    if (callChannel.hasSubscribers) {
      const h = this.spec.headers
      callChannel.publish({
        method: this.spec.method,
        url: this.spec.url,
        member: r.member,
        status,
        status_code: code,
        reason: r.reason,
        gtxnid: h['x-gtxn-id'] ?? null,
        ltxnid: h['x-ltxn-id'] ?? null,
      })
    }
    this._notify()
  }
}

const EMPTY = Buffer.alloc(0)

function classify(code: string, err: Error, responseStarted: boolean): [1 | 2, number, string, Error] {
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return [STATUS_TIMEOUT, FAIL_TIMEOUT, `timed out: ${err.message}`, err]
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return [STATUS_FAILED, FAIL_DNS, `DNS lookup failed: ${err.message}`, err]
  if (CONNECT_ERRORS.has(code)) return [STATUS_FAILED, FAIL_CONNECT, `connection failed: ${err.message}`, err]
  if (DROP_ERRORS.has(code) || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH')
    return [
      STATUS_FAILED,
      FAIL_CLOSED,
      `connection closed ${responseStarted ? 'mid-response' : 'before a response'}: ${err.message}`,
      err,
    ]
  return [STATUS_FAILED, FAIL_OTHER, err.message || String(err), err]
}
