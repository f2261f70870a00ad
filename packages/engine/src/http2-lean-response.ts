import { type OutgoingHttpHeader, type OutgoingHttpHeaders, validateHeaderName, validateHeaderValue } from 'node:http'
import { constants, type ServerHttp2Stream } from 'node:http2'
import { Stream } from 'node:stream'
import type { H2LeanRequest } from './http2-lean-request.js'
import { streamAborted } from './http2-limits.js'
import { closingH2Emit, HTTP1_ONLY, httpDate } from './http2-response.js'
import type { EngineRequestContext } from './request-context.js'
import { byteLength } from './response.js'

const kHeaders = Symbol('skitai.h2leanHeaders')
const kTrailers = Symbol('skitai.h2leanTrailers')
const kHeadFixed = Symbol('skitai.h2leanHeadFixed')
const kResponded = Symbol('skitai.h2leanResponded')
const kDrainArmed = Symbol('skitai.h2leanDrainArmed')
const kByApp = Symbol('skitai.h2leanDestroyedByApp')
const kRes = Symbol('skitai.h2leanRes')
type LeanStream = ServerHttp2Stream & { [kRes]: H2LeanResponse }

/**
 * The response of a body-less HTTP/2 request to an engine-native mount (http2-lean.ts): the
 * ServerResponse surface the engine, Saddle and static files use (status, headers, writeHead, write,
 * end, 'drain', 'finish', 'close', early hints, trailers), over the stream with three listeners
 * ('close', 'aborted', 'error') where node's compatibility objects add eleven and a closure, and sends trailers
 * only when there are some (node's waits for them on every response: an extra step per stream).
 * Like node's, it is a legacy Stream (pipe-able into, not a Writable) and drops the HTTP/1.1-only
 * headers (Connection, Keep-Alive, Transfer-Encoding, Upgrade) an app may set.
 */
export class H2LeanResponse extends Stream {
  declare readonly stream: ServerHttp2Stream
  declare readonly req: H2LeanRequest
  declare statusCode: number
  declare statusMessage: string
  declare sendDate: boolean
  declare writableEnded: boolean
  declare writableFinished: boolean
  declare destroyed: boolean
  declare skitaiCtx: EngineRequestContext | null
  declare skitaiHeadTime: number
  declare skitaiBodyBytes: number
  /** Headers set so far (lowercase names), null until the first. */
  declare [kHeaders]: OutgoingHttpHeaders | null
  declare [kTrailers]: OutgoingHttpHeaders | null
  /** writeHead ran: the head is fixed, and goes out with the first write or the end. */
  declare [kHeadFixed]: boolean
  /** The head went out (stream.respond). */
  declare [kResponded]: boolean
  declare [kDrainArmed]: boolean
  declare [kByApp]: boolean

  constructor(stream: ServerHttp2Stream, req: H2LeanRequest) {
    super()
    this.stream = stream
    this.req = req
    ;(stream as LeanStream)[kRes] = this
    stream.on('close', onStreamClose)
    // node emits 'aborted' while it processes the client's RST_STREAM, 'close' only ticks later: a burst
    // of resets read at once must be counted as it is read (http2-limits.ts, rapid reset)
    stream.on('aborted', onStreamAborted)
    // a stream error (a reset with an error code, a write after the client went) must not reach the
    // process as an unhandled 'error'; the response's 'close' reports the end
    stream.on('error', ignore)
  }

  get headersSent(): boolean {
    return this[kHeadFixed] || this[kResponded]
  }
  get finished(): boolean {
    return this.writableEnded
  }
  get writableNeedDrain(): boolean {
    return this.stream.writableNeedDrain
  }
  get socket(): null {
    return null
  }
  get connection(): null {
    return null
  }

  setHeader(name: string, value: OutgoingHttpHeader): this {
    if (this.headersSent) throw headersSent('set a header')
    setInto(this, name, value)
    return this
  }
  appendHeader(name: string, value: OutgoingHttpHeader): this {
    if (this.headersSent) throw headersSent('append a header')
    const key = name.toLowerCase()
    const old = this[kHeaders]?.[key]
    if (old === undefined) return this.setHeader(name, value)
    const add = Array.isArray(value) ? value.map(String) : [String(value)]
    setInto(this, name, Array.isArray(old) ? [...old, ...add] : [String(old), ...add])
    return this
  }
  getHeader(name: string): OutgoingHttpHeader | undefined {
    return this[kHeaders]?.[name.toLowerCase()]
  }
  hasHeader(name: string): boolean {
    return this[kHeaders]?.[name.toLowerCase()] !== undefined
  }
  removeHeader(name: string): void {
    if (this.headersSent) throw headersSent('remove a header')
    const h = this[kHeaders]
    if (h !== null) delete h[name.toLowerCase()]
  }
  getHeaders(): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = Object.create(null)
    const h = this[kHeaders]
    if (h !== null) for (const k in h) if (k.charCodeAt(0) !== 58 /* : */) out[k] = h[k]
    return out
  }
  getHeaderNames(): string[] {
    return Object.keys(this.getHeaders())
  }
  addTrailers(headers: OutgoingHttpHeaders): void {
    if (this[kResponded])
      throw new Error('addTrailers: on HTTP/2 trailers must be added before the response head is sent')
    const t = this[kTrailers] ?? (this[kTrailers] = Object.create(null) as OutgoingHttpHeaders)
    for (const k in headers) {
      validateHeaderName(k)
      validateHeaderValue(k, headers[k] as any)
      t[k.toLowerCase()] = headers[k]
    }
  }

  /** The status and headers (a status message is not sent: HTTP/2 has none). */
  writeHead(status: number, reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: unknown): this {
    if (this.headersSent) throw headersSent('write the head')
    if (typeof reason !== 'string') headers = reason
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      const e = new RangeError(`Invalid status code: ${status} (HTTP/2 answers with 200–599; 1xx: writeEarlyHints)`)
      ;(e as any).code = 'ERR_HTTP2_STATUS_INVALID'
      throw e
    }
    this.statusCode = status
    if (headers != null) {
      if (Array.isArray(headers)) {
        const flat = Array.isArray(headers[0]) ? headers.flat() : headers
        for (let i = 0; i < flat.length; i += 2) setInto(this, String(flat[i]), flat[i + 1])
      } else {
        const h = headers as OutgoingHttpHeaders
        for (const k in h) {
          const v = h[k]
          if (v !== undefined) setInto(this, k, v)
        }
      }
    }
    this[kHeadFixed] = true
    if (this.skitaiHeadTime === 0 && this.skitaiCtx?.logged === true) this.skitaiHeadTime = performance.now()
    return this
  }

  flushHeaders(): void {
    if (!this[kResponded]) respond(this, false)
  }

  write(chunk: any, encoding?: any, cb?: any): boolean {
    if (typeof encoding === 'function') {
      cb = encoding
      encoding = undefined
    }
    if (this.writableEnded) {
      const e = new Error('write after end')
      ;(e as any).code = 'ERR_STREAM_WRITE_AFTER_END'
      if (typeof cb === 'function') process.nextTick(cb, e)
      return false
    }
    const stream = this.stream
    if (stream.destroyed) return false
    if (!this[kResponded]) respond(this, false)
    if (this.skitaiCtx?.logged === true) this.skitaiBodyBytes += byteLength(chunk, encoding)
    if (bodiless(this)) {
      if (typeof cb === 'function') process.nextTick(cb)
      return true
    }
    const ok = stream.write(chunk, encoding, cb)
    if (!ok && !this[kDrainArmed]) {
      this[kDrainArmed] = true
      stream.once('drain', onStreamDrain)
    }
    return ok
  }

  end(chunk?: any, encoding?: any, cb?: any): this {
    if (typeof chunk === 'function') {
      cb = chunk
      chunk = undefined
    } else if (typeof encoding === 'function') {
      cb = encoding
      encoding = undefined
    }
    if (this.writableEnded) return this
    this.writableEnded = true
    const stream = this.stream
    if (stream.destroyed) return this
    if (typeof cb === 'function') stream.once('finish', cb)
    const empty = chunk == null || bodiless(this)
    if (chunk != null && this.skitaiCtx?.logged === true) this.skitaiBodyBytes += byteLength(chunk, encoding)
    if (!this[kResponded]) {
      // a head and no body: one HEADERS frame with END_STREAM
      respond(this, empty && this[kTrailers] === null)
      if (empty && this[kTrailers] === null) return this
    }
    if (empty) stream.end()
    else stream.end(chunk, encoding)
    return this
  }

  /** `103 Early Hints` (README "HTTP/2 and TLS"): before the response head. */
  writeEarlyHints(hints: Record<string, string | string[]>, cb?: () => void): boolean {
    if (this.headersSent || this.stream.destroyed) return false
    const h: OutgoingHttpHeaders = { ':status': 103 }
    for (const k in hints) {
      validateHeaderName(k)
      validateHeaderValue(k, hints[k] as any)
      h[k.toLowerCase()] = hints[k]
    }
    this.stream.additionalHeaders(h)
    if (typeof cb === 'function') process.nextTick(cb)
    return true
  }

  destroy(err?: Error): this {
    if (this.destroyed) return this
    this.destroyed = true
    this[kByApp] = true
    this.stream.destroy(err)
    return this
  }

  setTimeout(ms: number, cb?: () => void): this {
    this.stream.setTimeout(ms, cb)
    return this
  }
}

// defaults on the prototype (see SkitaiResponse in response.ts)
const proto = H2LeanResponse.prototype as any
proto.statusCode = 200
proto.statusMessage = ''
proto.sendDate = true
proto.writable = true
proto.writableEnded = false
proto.writableFinished = false
proto.destroyed = false
proto.skitaiCtx = null
proto.skitaiHeadTime = 0
proto.skitaiBodyBytes = 0
proto[kHeaders] = null
proto[kTrailers] = null
proto[kHeadFixed] = false
proto[kResponded] = false
proto[kDrainArmed] = false
proto[kByApp] = false

// its 'close' closes the request's bookkeeping, as SkitaiH2Response's does (the same function)
proto.emit = closingH2Emit

/** The options of `stream.respond`: constants, so nothing is allocated for them per response. */
const BODY_FOLLOWS = { endStream: false, waitForTrailers: false, sendDate: false }
const HEAD_ONLY = { endStream: true, waitForTrailers: false, sendDate: false }
const TRAILERS_FOLLOW = { endStream: false, waitForTrailers: true, sendDate: false }

/** Send the head. The Date header is the engine's, cached per second (http2-response.ts). */
function respond(res: H2LeanResponse, endStream: boolean): void {
  const stream = res.stream
  if (stream.destroyed || stream.closed) return
  res[kResponded] = true
  if (!res[kHeadFixed] && res.skitaiHeadTime === 0 && res.skitaiCtx?.logged === true)
    res.skitaiHeadTime = performance.now()
  const h = res[kHeaders] ?? (res[kHeaders] = Object.create(null) as OutgoingHttpHeaders)
  h[':status'] = res.statusCode
  if (res.sendDate && h.date === undefined) h.date = httpDate()
  if (res[kTrailers] !== null) {
    stream.once('wantTrailers', sendTrailers)
    stream.respond(h, TRAILERS_FOLLOW)
  } else stream.respond(h, endStream ? HEAD_ONLY : BODY_FOLLOWS)
}

function sendTrailers(this: LeanStream): void {
  const t = this[kRes][kTrailers]
  this.sendTrailers(t ?? {})
}

/** HEAD, 204, 205 and 304 answers carry no body (node:http2 ends their stream with the head). */
function bodiless(res: H2LeanResponse): boolean {
  const s = res.statusCode
  return s === 204 || s === 304 || s === 205 || res.req.method === 'HEAD'
}

function setInto(res: H2LeanResponse, name: string, value: OutgoingHttpHeader): void {
  validateHeaderName(name)
  validateHeaderValue(name, value as any)
  const key = name.toLowerCase()
  if (HTTP1_ONLY.has(key)) return
  const h = res[kHeaders] ?? (res[kHeaders] = Object.create(null) as OutgoingHttpHeaders)
  h[key] = value
}

function headersSent(what: string): Error {
  const e = new Error(`Cannot ${what} after the response head was written`)
  ;(e as any).code = 'ERR_HTTP2_HEADERS_SENT'
  return e
}

function onStreamDrain(this: LeanStream): void {
  const res = this[kRes]
  res[kDrainArmed] = false
  res.emit('drain')
}

/**
 * The stream was reset before the response ended (node emits this only while the writable side is
 * open) — by the client: 'aborted' on the request, counted toward the rapid-reset rule in
 * http2-limits.ts; a reset by the app (`res.destroy()`) is not counted.
 */
function onStreamAborted(this: LeanStream): void {
  const res = this[kRes]
  if (res[kByApp]) return
  res.req.aborted = true
  streamAborted(this.session)
  res.req.emit('aborted')
}

/** The stream closed: the answer went out ('finish', then 'close'), or it was cut ('close' alone). */
function onStreamClose(this: LeanStream): void {
  const res = this[kRes]
  res.destroyed = true
  if (res.writableEnded && this.rstCode === constants.NGHTTP2_NO_ERROR) {
    res.writableFinished = true
    res.emit('finish')
  }
  res.emit('close')
  res.req.emit('close')
}

function ignore(): void {}
