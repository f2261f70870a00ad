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
  if (declared === 0 || req.readableEnded) {
    done(context, null, EMPTY)
    return
  }
  const r = req as Reading
  if (r[kReader] != null) {
    done(context, new Error('readBody: this body is already being read'), null)
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
  constructor(
    readonly limit: number,
    readonly context: unknown,
    readonly done: BodyCallback<unknown>,
  ) {}
}

const kReader = Symbol('skitai.bodyReader')
const kListening = Symbol('skitai.bodyListening')
type Reading = IncomingMessage & { [kReader]?: BodyReader | null; [kListening]?: boolean }

/** The reader of this request, taken off it (the body is done, one way or another); null when none. */
function take(req: Reading): BodyReader | null {
  const r = req[kReader] ?? null
  req[kReader] = null
  return r
}

function onBodyData(this: Reading, chunk: Buffer): void {
  const r = this[kReader]
  if (r == null) return
  r.size += chunk.length
  if (r.size > r.limit) {
    take(this)
    r.chunks.length = 0
    lingerOnClose(this.socket)
    // keep the stream flowing with nobody collecting: the rest is read and dropped
    this.resume()
    r.done(r.context, tooLarge(r.limit), null)
    return
  }
  r.chunks.push(chunk)
}

function onBodyEnd(this: Reading): void {
  const r = take(this)
  if (r === null) return
  r.done(r.context, null, r.chunks.length === 1 ? (r.chunks[0] as Buffer) : Buffer.concat(r.chunks, r.size))
}

function onBodyAborted(this: Reading): void {
  const r = take(this)
  if (r === null) return
  r.done(
    r.context,
    new HttpError(400, 'request body incomplete: the client closed the connection', { close: true }),
    null,
  )
}

function onBodyError(this: Reading, err: Error): void {
  const r = take(this)
  if (r === null) return
  r.done(
    r.context,
    new HttpError(400, `request body could not be read: ${err.message}`, { cause: err, close: true }),
    null,
  )
}
