import { Socket } from 'node:net'
import type { ServerResponse } from 'node:http'

/**
 * One `writev` for a run of pipelined responses instead of one per response.
 *
 * node:http writes every response with its own system call: when a client pipelines ten requests, the
 * ten responses leave in ten `writev`s, and on a loopback or LAN connection each costs more than the
 * whole JavaScript side of a small response (the profile of `GET /` with pipelining 10 showed `writev`
 * at 55–60 % of the server's CPU). Node cannot batch them itself: it hands the socket to response N+1
 * only after response N's write has completed.
 *
 * So on the engine's plain-TCP connections the socket's `_write`/`_writev` (what Writable calls to put
 * bytes on the handle) hold a response's bytes back, and complete its write at once, while a later
 * request of the same connection is already waiting for its turn: the queued responses then follow in
 * the same tick, and the newest one writes everything held in one `writev`. Bytes are held only
 *   - while a later request is queued on the connection (a client that does not pipeline never waits),
 *   - up to `MAX_HELD_BYTES` (beyond it, and for every large chunk, the write goes out at once and the
 *     stream's backpressure works as usual),
 *   - and never past the current turn of the event loop: a `setImmediate` flushes whatever is still
 *     held (say the next response's handler is waiting for a database).
 * Shutting the socket (`end()`) writes what is held first; a write error destroys the socket with it.
 * Upgraded connections (WebSocket) get node's own methods back (`stopCoalescing`).
 */

/** Held bytes per connection before writes go out as they come. */
export const MAX_HELD_BYTES = 64 * 1024

type Chunk = { chunk: string | Buffer; encoding: BufferEncoding | 'buffer' }
type WriteCallback = (error?: Error | null) => void

export interface CoalescingSocket extends Socket {
  _httpMessage: (ServerResponse & { skitaiSeq?: number }) | null | undefined
  /** Sequence number of the newest request received on this connection (set by the pipeline). */
  skitaiSeq: number
  skitaiHeld: Chunk[] | null
  skitaiHeldBytes: number
  skitaiFlushScheduled: boolean
  /** Flushes written but not yet completed by the kernel (then writes go straight through). */
  skitaiFlushing: number
  _write(chunk: string | Buffer, encoding: BufferEncoding, cb: WriteCallback): void
  _writev(chunks: Chunk[], cb: WriteCallback): void
  _final(cb: WriteCallback): void
}

const nodeWritev = Socket.prototype._writev as (this: Socket, chunks: Chunk[], cb: WriteCallback) => void
const nodeWrite = Socket.prototype._write as (
  this: Socket,
  chunk: string | Buffer,
  encoding: BufferEncoding,
  cb: WriteCallback,
) => void
const nodeFinal = Socket.prototype._final as (this: Socket, cb: WriteCallback) => void

/** Install on a server connection (once, on 'connection'). TLS sockets are left alone. */
export function coalesceWrites(socket: Socket): void {
  const s = socket as CoalescingSocket
  s.skitaiSeq = 0
  s.skitaiHeld = null
  s.skitaiHeldBytes = 0
  s.skitaiFlushScheduled = false
  s.skitaiFlushing = 0
  s._write = coalescingWrite
  s._writev = coalescingWritev
  s._final = flushingFinal
}

/** Give an upgraded socket (WebSocket, a proxied tunnel) node's own write path back. */
export function stopCoalescing(socket: Socket): void {
  const s = socket as CoalescingSocket
  if (s._writev !== coalescingWritev) return
  flushHeld(s)
  // node's own methods assigned back, not deleted: deleting properties turns the socket into a
  // dictionary-mode object whose every property access is slower (a WebSocket's whole life)
  s._write = nodeWrite
  s._writev = nodeWritev
  s._final = nodeFinal
}

/** Whether this socket holds pipelined writes (for tests and diagnostics). */
export function isCoalescing(socket: Socket): boolean {
  return (socket as CoalescingSocket)._writev === coalescingWritev
}

/**
 * Whether a write of `bytes` may be held: the response writing is not the newest request's (a later one
 * is queued and will write right after it), no flush is in flight and the held bytes stay small.
 */
function mayHold(s: CoalescingSocket, bytes: number): boolean {
  const res = s._httpMessage
  // (no response: a raw answer to a request node could not parse, written with socket.end)
  return (
    res != null &&
    (res.skitaiSeq as number) > 0 &&
    res.skitaiSeq !== s.skitaiSeq &&
    s.skitaiFlushing === 0 &&
    s.skitaiHeldBytes + bytes <= MAX_HELD_BYTES
  )
}

function coalescingWrite(this: CoalescingSocket, chunk: string | Buffer, encoding: BufferEncoding, cb: WriteCallback) {
  const bytes = chunk.length
  if (mayHold(this, bytes)) {
    hold(this, chunk, encoding, bytes)
    cb()
    return
  }
  if (this.skitaiHeld === null) {
    nodeWrite.call(this, chunk, encoding, cb)
    return
  }
  // what is held goes first, in the same system call
  const all = takeHeld(this)
  all.push({ chunk, encoding })
  nodeWritev.call(this, all, cb)
}

function coalescingWritev(this: CoalescingSocket, chunks: Chunk[], cb: WriteCallback) {
  let bytes = 0
  for (let i = 0; i < chunks.length; i++) bytes += (chunks[i] as Chunk).chunk.length
  if (mayHold(this, bytes)) {
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i] as Chunk
      hold(this, c.chunk, c.encoding, 0)
    }
    this.skitaiHeldBytes += bytes
    cb()
    return
  }
  if (this.skitaiHeld === null) {
    // `res.end(body)` hands over two chunks, the head with the body and an empty one (its callback
    // carries 'finish'): written as the one string it is, without writev's chunk array and the copy into
    // a separate buffer on the C++ side (the `writevGeneric` frame, 0.1–0.2 µs per response)
    const last = chunks[chunks.length - 1] as Chunk
    if (chunks.length === 2 && last.chunk.length === 0) {
      const first = chunks[0] as Chunk
      nodeWrite.call(this, first.chunk, first.encoding as BufferEncoding, cb)
      return
    }
    nodeWritev.call(this, chunks, cb)
    return
  }
  const all = takeHeld(this)
  for (let i = 0; i < chunks.length; i++) all.push(chunks[i] as Chunk)
  nodeWritev.call(this, all, cb)
}

function flushingFinal(this: CoalescingSocket, cb: WriteCallback) {
  // libuv completes queued writes before the shutdown
  flushHeld(this)
  nodeFinal.call(this, cb)
}

function hold(s: CoalescingSocket, chunk: string | Buffer, encoding: BufferEncoding | 'buffer', bytes: number): void {
  // Writable reuses nothing it passed: keeping the chunk objects' contents is safe
  if (s.skitaiHeld === null) {
    s.skitaiHeld = []
    if (!s.skitaiFlushScheduled) {
      s.skitaiFlushScheduled = true
      setImmediate(flushOnImmediate, s)
    }
  }
  s.skitaiHeld.push({ chunk, encoding })
  s.skitaiHeldBytes += bytes
}

function takeHeld(s: CoalescingSocket): Chunk[] {
  const held = s.skitaiHeld as Chunk[]
  s.skitaiHeld = null
  s.skitaiHeldBytes = 0
  return held
}

function flushOnImmediate(s: CoalescingSocket): void {
  s.skitaiFlushScheduled = false
  flushHeld(s)
}

/** Write what is held (nobody waits on it: its writes were completed when they were held). */
function flushHeld(s: CoalescingSocket): void {
  if (s.skitaiHeld === null) return
  const held = takeHeld(s)
  if (s.destroyed) return
  s.skitaiFlushing++
  nodeWritev.call(s, held, (error) => afterFlush(s, error))
}

function afterFlush(s: CoalescingSocket, error?: Error | null): void {
  s.skitaiFlushing--
  // the writes this flush carried were already reported done: an error can only end the connection
  if (error) s.destroy(error)
}
