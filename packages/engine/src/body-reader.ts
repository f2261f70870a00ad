import type { IncomingMessage } from 'node:http'
import { HttpError } from '@skitai/was'
import { contentLengthOf, lingerOnClose, tooLarge } from './body.js'

/**
 * Reading a whole request body into one Buffer under a byte limit. `collectBody` is the callback form the
 * request hot path uses (no promise, no closure per body: the listeners are module-level functions that
 * find their reader on the request, which is `this` in a listener); `readBody` is the promise form.
 */

/** Called once: `(context, null, body)` or `(context, error, null)`. */
export type BodyCallback<T> = (context: T, error: Error | null, body: Buffer | null) => void

const EMPTY = Buffer.alloc(0)

/**
 * Collect the body and call `done(context, null, body)`; `done(context, HttpError 413, null)` (with
 * `closeConnection` set) when it is larger than `limit` — by Content-Length before anything is read, or
 * as soon as a chunked body crosses it — and 400 when the client goes away before the body is complete.
 * Nothing over the limit is buffered. `done` may be called synchronously.
 */
export function collectBody<T>(req: IncomingMessage, limit: number, context: T, done: BodyCallback<T>): void {
  const declared = contentLengthOf(req)
  if (declared > limit) {
    lingerOnClose(req.socket)
    done(context, tooLarge(limit), null)
    return
  }
  const r = req as Reading
  const earlier = r[kReader]
  if (earlier !== undefined) {
    // read before: the same outcome again (the bytes, or the 413/400), never a part of the body
    if (earlier.settled) done(context, earlier.error, earlier.body)
    else done(context, new Error('readBody: this body is already being read'), null)
    return
  }
  if (declared === 0) {
    done(context, null, EMPTY)
    return
  }
  const hasBody = declared > 0 || req.headers['transfer-encoding'] !== undefined
  if (!hasBody) {
    done(context, null, EMPTY)
    return
  }
  if (req.readableEnded) {
    done(context, new Error('readBody: this body was already consumed by another reader'), null)
    return
  }
  if (req.destroyed) {
    done(context, incomplete(), null)
    return
  }
  r[kReader] = new BodyReader(limit, context, done as BodyCallback<unknown>)
  // the listeners stay after the end (removing four costs more than they ever cost again): each one
  // does nothing once its reader is gone
  if (r[kListening] !== true) {
    r[kListening] = true
    req.on('data', onBodyData)
    req.on('end', onBodyEnd)
    req.on('aborted', onBodyAborted)
    req.on('error', onBodyError)
  }
}

/**
 * Read the whole body into one Buffer. Rejects with HttpError 413 (`closeConnection` set) when the body is
 * larger than `limit`, and 400 when the client goes away before the body is complete.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => collectBody(req, limit, { resolve, reject }, settlePromise))
}

function settlePromise(
  p: { resolve: (b: Buffer) => void; reject: (e: Error) => void },
  error: Error | null,
  body: Buffer | null,
): void {
  if (error !== null) p.reject(error)
  else p.resolve(body as Buffer)
}

class BodyReader {
  chunks: Buffer[] = []
  size = 0
  /** Once settled, the outcome is kept for a later read of the same request. */
  settled = false
  error: Error | null = null
  body: Buffer | null = null
  constructor(
    readonly limit: number,
    readonly context: unknown,
    readonly done: BodyCallback<unknown>,
  ) {}
}

const kReader = Symbol('skitai.bodyReader')
const kListening = Symbol('skitai.bodyListening')
type Reading = IncomingMessage & { [kReader]?: BodyReader; [kListening]?: boolean }

/** The reader still collecting this request's body, or null (none, or already settled). */
function active(req: Reading): BodyReader | null {
  const r = req[kReader]
  return r === undefined || r.settled ? null : r
}

/** Keep the outcome and call back (once: the reader is settled from here on). */
function settle(r: BodyReader, error: Error | null, body: Buffer | null): void {
  r.settled = true
  r.error = error
  r.body = body
  r.chunks = []
  r.done(r.context, error, body)
}

function incomplete(): HttpError {
  return new HttpError(400, 'request body incomplete: the client closed the connection', { close: true })
}

function onBodyData(this: Reading, chunk: Buffer): void {
  const r = active(this)
  if (r === null) return
  r.size += chunk.length
  if (r.size > r.limit) {
    lingerOnClose(this.socket)
    // keep the stream flowing with nobody collecting: the rest is read and dropped
    this.resume()
    settle(r, tooLarge(r.limit), null)
    return
  }
  r.chunks.push(chunk)
}

function onBodyEnd(this: Reading): void {
  const r = active(this)
  if (r === null) return
  settle(r, null, r.chunks.length === 1 ? (r.chunks[0] as Buffer) : Buffer.concat(r.chunks, r.size))
}

function onBodyAborted(this: Reading): void {
  const r = active(this)
  if (r !== null) settle(r, incomplete(), null)
}

function onBodyError(this: Reading, err: Error): void {
  const r = active(this)
  if (r !== null)
    settle(r, new HttpError(400, `request body could not be read: ${err.message}`, { cause: err, close: true }), null)
}
