import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/**
 * One HTTP/1.1 connection while the server drains (shutdown.ts; README "Command line and shutdown").
 * The rules that make every request the server has received get its answer, and every close clean:
 * - **The last answer says `Connection: close`.** A response whose head is written while draining closes
 *   its connection when no later request is queued behind it on that connection; one with requests
 *   queued behind it stays keep-alive, so the queued ones (pipelined) are answered too, and the newest of
 *   them carries the close. (Node ends a connection after a `Connection: close` response and drops the
 *   responses queued behind it, so marking every response, as this engine once did, lost the pipelined
 *   requests already read.)
 * - **Nothing after the last answer is taken.** A request arriving on a connection whose last answer is
 *   decided, or that is already shut, is not dispatched: the client learns from the close that it was not
 *   processed (RFC 9112 §9.6) and may retry it.
 * - **Lingering close.** Closing a socket whose receive buffer holds unread bytes makes the kernel send a
 *   RST instead of a FIN, and a RST can make the client's TCP stack discard the answer it has not read
 *   yet: the "reset mid-answer" of a keep-alive client that had already sent its next request. So the
 *   engine shuts its side (FIN after the answer), keeps reading (and discarding) until the client closes
 *   its side, and destroys the socket after `LINGER_MS` at most.
 */

/** How long a connection whose side is shut waits for the client to close before it is destroyed. */
export const LINGER_MS = 2000

const kLastAnswer = Symbol('skitai.lastAnswer')
const kLingering = Symbol('skitai.lingering')
const kBytesSeen = Symbol('skitai.bytesSeen')

type DrainingSocket = Socket & {
  parser?: { incoming?: unknown } | null
  _httpMessage?: ServerResponse | null
  /** node:http's flag: it stopped reading because too many responses are pending. */
  _paused?: boolean
  [kLastAnswer]?: boolean
  [kLingering]?: boolean
  [kBytesSeen]?: number
}

/**
 * Called from the response's writeHead while draining: the connection is closed after this response
 * unless a later request is queued behind it (or node paused reading, so more may be waiting).
 */
export function closeIfLastAnswer(res: ServerResponse): void {
  const socket = res.socket as DrainingSocket | null
  // HTTP/2 streams, and answers on a socket node has let go of (upgrade, CONNECT), close by themselves
  if (socket == null || socket.parser == null) return
  if (socket.parser.incoming !== res.req || socket._paused === true) return
  res.shouldKeepAlive = false
  socket[kLastAnswer] = true
}

/** Whether a request arriving on this connection comes after its last answer (and is not taken). */
export function isPastLastAnswer(socket: Socket): boolean {
  const s = socket as DrainingSocket
  return s[kLastAnswer] === true || s.writableEnded || s.destroyed
}

/**
 * Whether a connection is idle and quiet: nothing to answer (no response pending or queued, no request
 * body arriving, and — `midHead`, node's list of connections whose next request head has started — no
 * head arriving), and nothing read since the last look. A client busy on its connection gets the close
 * with its next answer instead of a FIN racing its next request; only one that has gone quiet gets the FIN.
 */
export function isQuietConnection(socket: Socket, midHead: ReadonlySet<Socket>): boolean {
  const s = socket as DrainingSocket
  const read = s.bytesRead
  const moved = s[kBytesSeen] !== read
  s[kBytesSeen] = read
  if (moved || s.parser == null || s._httpMessage != null || midHead.has(s)) return false
  const req = s.parser.incoming as { complete?: boolean } | null | undefined
  return req == null || req.complete === true
}

/** Shut the engine's side and linger (see above); node's `destroySoon` after a last answer does the same. */
export function lingerClose(socket: Socket): void {
  const s = socket as DrainingSocket
  if (s[kLingering] === true || s.destroyed) return
  s[kLingering] = true
  // the client's FIN ends the readable side; with ours finished the socket destroys itself (autoDestroy)
  if (!s.writableEnded) s.end()
  setTimeout(destroyLingering, LINGER_MS, s).unref()
}

export function isLingering(socket: Socket): boolean {
  return (socket as DrainingSocket)[kLingering] === true
}

/** Make node:http's close after a `Connection: close` answer a lingering one (set once per connection). */
export function lingerAfterLastAnswer(socket: Socket): void {
  ;(socket as Socket & { destroySoon: () => void }).destroySoon = lingeringDestroySoon
}

function lingeringDestroySoon(this: Socket): void {
  lingerClose(this)
}

function destroyLingering(socket: Socket): void {
  socket.destroy()
}
