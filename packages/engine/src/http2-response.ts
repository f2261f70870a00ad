import { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import type { Socket } from 'node:net'
import { streamAborted } from './http2-limits.js'
import { byteLength, responseClosed } from './response.js'

/** Request class of the HTTP/2 side (its own class, the base of Express's HTTP/2 variants in http2-listener.ts). */
export class SkitaiH2Request extends Http2ServerRequest {
  /** The client's address, kept for the access log (written after the stream, and its socket proxy, closed). */
  declare skitaiIp: string | undefined
  /** The session's socket (`req.socket` is a Proxy node builds per stream; see SkitaiRequest in incoming.ts). */
  declare skitaiSocket: Socket | null
}
const reqProto = SkitaiH2Request.prototype as any
reqProto.skitaiIp = undefined
reqProto.skitaiSocket = null
const h2RequestEmit = Http2ServerRequest.prototype.emit
/** A client reset of the stream (its request's 'aborted') counts toward the rapid-reset rule, http2-limits.ts. */
reqProto.emit = function emit(this: SkitaiH2Request, event: string | symbol): boolean {
  if (event === 'aborted') streamAborted(this.stream.session)
  // biome-ignore lint/complexity/noArguments: forwards emit's arguments as they came, without a rest array
  return h2RequestEmit.apply(this, arguments as any)
}

const h2Write = Http2ServerResponse.prototype.write
const h2End = Http2ServerResponse.prototype.end
const h2WriteHead = Http2ServerResponse.prototype.writeHead
const h2SetHeader = Http2ServerResponse.prototype.setHeader
const h2AppendHeader = (Http2ServerResponse.prototype as any).appendHeader

/** Headers that belong to one HTTP/1.1 connection; HTTP/2 forbids them (RFC 9113 §8.2.2). */
export const HTTP1_ONLY = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'])

/**
 * Response class of the HTTP/2 side: counts the body bytes for the access log like SkitaiResponse does
 * (response.ts), and drops the HTTP/1.1-only headers an app may set (Connection, Keep-Alive,
 * Transfer-Encoding, Upgrade) instead of failing the response, see README "HTTP/2 and TLS".
 */
export class SkitaiH2Response extends Http2ServerResponse {
  declare skitaiBodyBytes: number
  declare skitaiHeadTime: number
}
const proto = SkitaiH2Response.prototype as any
proto.skitaiBodyBytes = 0
proto.skitaiHeadTime = 0
proto.skitaiCtx = null
const h2ResponseEmit = Http2ServerResponse.prototype.emit
/**
 * Its 'close' closes the request's bookkeeping (response.ts `reportsClose`): no listener per response.
 * Shared with H2LeanResponse (http2-lean-response.ts): both are legacy Streams, whose emit is EventEmitter's.
 */
export function closingH2Emit(this: { emit: unknown }, event: string | symbol): boolean {
  if (event === 'close') responseClosed(this as any)
  // biome-ignore lint/complexity/noArguments: forwards emit's arguments as they came, without a rest array
  return h2ResponseEmit.apply(this, arguments as any)
}
;(closingH2Emit as any).skitaiReportsClose = true
proto.emit = closingH2Emit
proto.write = function write(this: SkitaiH2Response, chunk: any, encoding?: any, cb?: any): boolean {
  if (chunk != null && typeof chunk !== 'function') this.skitaiBodyBytes += byteLength(chunk, encoding)
  return (h2Write as any).call(this, chunk, encoding, cb)
}
proto.setHeader = function setHeader(this: SkitaiH2Response, name: string, value: any): SkitaiH2Response {
  if (!HTTP1_ONLY.has(name.toLowerCase())) h2SetHeader.call(this, name, value)
  return this
}
proto.appendHeader = function appendHeader(this: SkitaiH2Response, name: string, value: any): SkitaiH2Response {
  if (!HTTP1_ONLY.has(name.toLowerCase())) h2AppendHeader.call(this, name, value)
  return this
}
proto.writeHead = function writeHead(this: SkitaiH2Response, status: number, reason?: any, headers?: any) {
  if (typeof reason !== 'string') headers = reason
  if (this.skitaiHeadTime === 0) this.skitaiHeadTime = performance.now()
  // node:http2 adds the Date header itself, at a cost measured at about 1–3 µs a response on the
  // engine's path (and not on a bare node:http2 server); giving it one cached per second is cheaper.
  // Headers passed here, or set before, win.
  if (this.sendDate && !this.hasHeader('date')) h2SetHeader.call(this, 'date', httpDate())
  // node's compatibility layer warns once per process about a status message (HTTP/2 has none): not passed
  return (h2WriteHead as any).call(this, status, headers === undefined ? undefined : withoutHttp1Headers(headers))
}
proto.end = function end(this: SkitaiH2Response, chunk?: any, encoding?: any, cb?: any): SkitaiH2Response {
  if (chunk != null && typeof chunk !== 'function') this.skitaiBodyBytes += byteLength(chunk, encoding)
  ;(h2End as any).call(this, chunk, encoding, cb)
  return this
}

let dateText = ''
let dateUntil = 0

/** The Date header's value for now, computed once a second. */
export function httpDate(): string {
  const now = Date.now()
  if (now >= dateUntil) {
    dateText = new Date(now).toUTCString()
    dateUntil = now - (now % 1000) + 1000
  }
  return dateText
}

/** Drop HTTP/1.1-only headers from writeHead's object or flat `[name, value, …]` array. */
function withoutHttp1Headers(headers: any): any {
  if (Array.isArray(headers)) {
    if (Array.isArray(headers[0])) headers = headers.flat()
    let clean = true
    for (let i = 0; i < headers.length; i += 2) if (HTTP1_ONLY.has(String(headers[i]).toLowerCase())) clean = false
    if (clean) return headers
    const out: unknown[] = []
    for (let i = 0; i < headers.length; i += 2)
      if (!HTTP1_ONLY.has(String(headers[i]).toLowerCase())) out.push(headers[i], headers[i + 1])
    return out
  }
  for (const k in headers) {
    if (HTTP1_ONLY.has(k.toLowerCase())) {
      const out: Record<string, unknown> = {}
      for (const n in headers) if (!HTTP1_ONLY.has(n.toLowerCase())) out[n] = headers[n]
      return out
    }
  }
  return headers
}
