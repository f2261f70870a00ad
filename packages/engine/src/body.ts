import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { HttpError } from '@skitai/was'

/**
 * Request bodies under a byte limit (README "HTTP, limits and timeouts"): refused by `Content-Length` before anything is read, or as
 * soon as the limit is crossed on a chunked body. Nothing over the limit is ever buffered.
 */

/** How long a connection whose body was refused keeps draining input before it is destroyed. */
const LINGER_MS = 2000

/** The request's Content-Length (Node has already rejected malformed values), -1 when absent. */
export function contentLengthOf(req: IncomingMessage): number {
  const cl = req.headers['content-length']
  return cl === undefined ? -1 : Number(cl)
}

export function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body too large: the limit is ${limit} bytes`, { close: true })
}

const kLimit = Symbol('skitai.bodyLimit')
const kSeen = Symbol('skitai.bodySeen')
const kOver = Symbol('skitai.bodyOver')
const kRes = Symbol('skitai.bodyRes')

const kCounter = Symbol('skitai.bodyCounter')

type Guarded = IncomingMessage & {
  [kLimit]: number
  [kSeen]: number
  [kOver]: boolean
  [kRes]: ServerResponse
  [kCounter]: { requestBytes: number }
}

/**
 * A chunked body for an app that reads `req` itself (Express, Hono …): count bytes as Node's parser pushes
 * them and, past the limit, answer 413 and drop the rest. Overriding `push` on this one request is the only
 * way to see the bytes without switching the stream into flowing mode behind the app's back; it is set only
 * on chunked requests, which are rare.
 */
export function guardChunkedBody(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
  counter: { requestBytes: number },
): void {
  const g = req as Guarded
  g[kLimit] = limit
  g[kSeen] = 0
  g[kOver] = false
  g[kRes] = res
  g[kCounter] = counter
  const push = req.push
  req.push = function guardedPush(this: Guarded, chunk: any, encoding?: BufferEncoding): boolean {
    if (this[kOver]) return true
    if (chunk !== null) {
      this[kSeen] += chunk.length
      this[kCounter].requestBytes = this[kSeen]
      if (this[kSeen] > this[kLimit]) {
        this[kOver] = true
        refuse(this[kRes], tooLarge(this[kLimit]))
        return true
      }
    }
    return push.call(this, chunk, encoding)
  }
}

/** Answer a refused body (413) with `Connection: close`, unless the app already started its response. */
export function refuse(res: ServerResponse, err: HttpError): void {
  // a sloppy app writing after this response must not raise an unhandled 'error'
  res.on('error', ignore)
  const socket = res.socket ?? res.req?.socket
  if (socket) lingerOnClose(socket)
  if (res.headersSent) {
    socket?.destroy()
    return
  }
  const body = `${JSON.stringify({ code: err.status, message: err.message })}\n`
  res.writeHead(err.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  })
  res.end(body)
}

function ignore(): void {}

/**
 * Lingering close (as nginx does): after the refusal is sent, half-close and keep reading (the HTTP parser
 * discards the rest of the body) for a short while, so the client receives the 413 instead of a reset
 * caused by unread data in our receive buffer.
 */
export function lingerOnClose(socket: Socket | null | undefined): void {
  if (!socket || (socket as any).destroySoon === lingeringDestroySoon) return
  ;(socket as any).destroySoon = lingeringDestroySoon
}

function lingeringDestroySoon(this: Socket): void {
  if (this.destroyed) return
  if (this.writable) this.end()
  const timer = setTimeout(destroyNow, LINGER_MS, this)
  timer.unref()
  this.once('close', () => clearTimeout(timer))
  this.once('end', () => this.destroy())
}

function destroyNow(socket: Socket): void {
  socket.destroy()
}
