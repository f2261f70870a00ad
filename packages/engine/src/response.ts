import { type IncomingMessage, type OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { closeIfLastAnswer } from './drain-socket.js'
import type { EngineRequestContext } from './request-context.js'

const nodeEmit = ServerResponse.prototype.emit
const nodeWriteHead = ServerResponse.prototype.writeHead
const nodeWrite = ServerResponse.prototype.write
const nodeEnd = ServerResponse.prototype.end

/**
 * The server's response class: node's ServerResponse plus the request's context, the moment the head was
 * written (handling time vs transfer time in the access log) and the body bytes written. The hooks
 * (writeHead, write, end, and the `_closed` flag that tells the close) are on the prototype;
 * `pinResponseHooks` puts their equivalents onto a response handed to an app that may swap its prototype.
 */
export class SkitaiResponse extends ServerResponse {
  declare skitaiCtx: EngineRequestContext | null
  declare skitaiHeadTime: number
  /** Body bytes passed to write()/end() (for the log when there is no Content-Length). */
  declare skitaiBodyBytes: number
  /** The request's number on its connection (write-coalescing.ts), 0 when not numbered. */
  declare skitaiSeq: number
  /** node's `_closed`, kept here behind the `_closed` accessor below */
  declare skitaiClosed: boolean
}

// The fields' defaults live on the prototype: class fields would be defined on every response at
// construction (three defineProperty steps, and an explicit constructor in place of V8's default one);
// `skitaiCtx` is assigned for every request, the other two only for logged ones.
const defaults = SkitaiResponse.prototype as any
defaults.skitaiCtx = null
defaults.skitaiHeadTime = 0
defaults.skitaiBodyBytes = 0
defaults.skitaiSeq = 0

const hooked = SkitaiResponse.prototype as any
hooked.writeHead = countingWriteHead
hooked.write = countingWrite
hooked.end = countingEnd

/**
 * The response's close, seen where node marks it: node sets `_closed = true` (and only there, in
 * _http_server's emitCloseNT) right before it emits 'close', once per response. An accessor on the
 * prototype costs two calls per response; overriding `emit` instead put all four of a response's events
 * ('socket', 'prefinish', 'finish', 'close') through a wrapper (0.2–0.3 µs/req over https/1.1), and a
 * 'close' listener would cost an allocation and an events-table entry per response.
 */
Object.defineProperty(SkitaiResponse.prototype, '_closed', {
  configurable: true,
  get(this: SkitaiResponse): boolean {
    return this.skitaiClosed
  },
  set(this: SkitaiResponse, closed: boolean) {
    this.skitaiClosed = closed
    if (closed) responseClosed(this)
  },
})

/**
 * For a response handed to a Node listener (Express, Koa, a fetch handler): an app may swap the
 * response's prototype (Express does, to its own `app.response`) and would drop the hooks with it, so
 * they become own properties. Saddle keeps the prototype and skips this.
 */
export function pinResponseHooks(res: ServerResponse): void {
  if (!(res instanceof SkitaiResponse)) return
  const self = res as any
  // the fields' prototype defaults go with a swapped prototype too
  self.skitaiHeadTime = 0
  self.skitaiBodyBytes = 0
  self.writeHead = countingWriteHead
  self.write = countingWrite
  self.end = countingEnd
  // the `_closed` accessor goes with a swapped prototype: an own flag shadows it, and `emit` tells the close
  Object.defineProperty(self, '_closed', {
    value: self.skitaiClosed,
    writable: true,
    enumerable: true,
    configurable: true,
  })
  self.emit = closingEmit
}

/** A pinned response's close, seen through its own `emit` (node emits 'close' once). */
function closingEmit(this: SkitaiResponse, event: string | symbol): boolean {
  if (event === 'close') responseClosed(this)
  // biome-ignore lint/complexity/noArguments: forwards emit's arguments as they came, without a rest array
  return nodeEmit.apply(this, arguments as any)
}

/**
 * Whether `res` reports its own close (a SkitaiResponse, which has `skitaiClosed` from its construction,
 * or SkitaiH2Response in http2-response.ts, whose `emit` calls `responseClosed`); other responses
 * (inject) need a listener.
 */
export function reportsClose(res: ServerResponse): boolean {
  if ((res as Partial<SkitaiResponse>).skitaiClosed !== undefined) return true
  const emit = (res as any).emit
  return emit === closingEmit || emit.skitaiReportsClose === true
}

/** The response is done (finished or cut): count it out, close its `was`, write the log line. */
export function responseClosed(res: ServerResponse & { skitaiCtx?: EngineRequestContext | null }): void {
  const ctx = res.skitaiCtx
  // once per request, even if something emits 'close' twice
  if (ctx === undefined || ctx === null || ctx.closed) return
  ctx.closed = true
  const engine = ctx.engine
  engine.inFlight--
  if (ctx.address !== null) engine.addresses.requestDone(ctx.address)
  const w = ctx.was
  if (w !== null) {
    try {
      w.close()
    } catch (e) {
      engine.log.appError(e, `${ctx.gtxnid}/${ctx.ltxnid}`, 'was.close()')
    }
  }
  const stats = engine.stats
  if (stats !== null)
    stats.record(
      ctx.mountPoint,
      ctx.route,
      (res.req as IncomingMessage).method ?? '-',
      // a response never sent (the client went away, a hung handler cut) is 499, as in the access log
      res.headersSent || res.writableEnded ? res.statusCode : 499,
      ctx.startTime,
    )
  if (ctx.logged)
    engine.log.request(
      res.req as IncomingMessage,
      res,
      ctx,
      (res as Partial<SkitaiResponse>).skitaiHeadTime ?? 0,
      engine.connections,
    )
}

/**
 * A whole answer held in memory, head and body in one call, for an app that has both at once (Saddle's
 * writer). On the engine's own HTTP/1.1 response it does what the writeHead/end hooks below do and calls
 * node's methods directly: two wrapper frames less per response, and node's `end` inlines its `_send`
 * again when called from here (https/1.1 profiles). Any other response (HTTP/2, inject, one pinned for a
 * Node listener) goes through its own writeHead and end. `bytes` is the body's length, known to the caller.
 */
export function writeWholeAnswer(
  res: ServerResponse,
  status: number,
  reason: string,
  headers: OutgoingHttpHeaders,
  body: string | Uint8Array,
  bytes: number,
): void {
  const r = res as SkitaiResponse
  if (r.writeHead !== countingWriteHead || r.end !== countingEnd) {
    res.writeHead(status, reason, headers)
    res.end(body)
    return
  }
  beforeHead(r)
  if (r.skitaiCtx?.logged === true) r.skitaiBodyBytes += bytes
  ;(nodeWriteHead as any).call(r, status, reason, headers)
  ;(nodeEnd as any).call(r, body)
}

/** What the engine does as a head is written: its time for the log line, `Connection: close` while draining. */
function beforeHead(res: SkitaiResponse): void {
  const ctx = res.skitaiCtx
  if (ctx == null) return
  if (res.skitaiHeadTime === 0 && ctx.logged) res.skitaiHeadTime = performance.now()
  // shutting down: the connection's last answer says `Connection: close` (drain-socket.ts)
  if (ctx.engine.draining) closeIfLastAnswer(res)
}

function countingWriteHead(this: SkitaiResponse, statusCode: number, reason?: any, headers?: any): SkitaiResponse {
  beforeHead(this)
  ;(nodeWriteHead as any).call(this, statusCode, reason, headers)
  return this
}

// Body bytes are counted only for requests that get a log line (the count's only reader).
function countingWrite(this: SkitaiResponse, chunk: any, encoding?: any, cb?: any): boolean {
  if (chunk != null && typeof chunk !== 'function' && this.skitaiCtx?.logged === true)
    this.skitaiBodyBytes += byteLength(chunk, encoding)
  return (nodeWrite as any).call(this, chunk, encoding, cb)
}

function countingEnd(this: SkitaiResponse, chunk?: any, encoding?: any, cb?: any): SkitaiResponse {
  if (chunk != null && typeof chunk !== 'function' && this.skitaiCtx?.logged === true)
    this.skitaiBodyBytes += byteLength(chunk, encoding)
  ;(nodeEnd as any).call(this, chunk, encoding, cb)
  return this
}

/** Bytes of a write()/end() chunk (string in its encoding, or a buffer). */
export function byteLength(chunk: any, encoding: any): number {
  if (typeof chunk === 'string')
    return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
  return typeof chunk.byteLength === 'number' ? chunk.byteLength : 0
}
