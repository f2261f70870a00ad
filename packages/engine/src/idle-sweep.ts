import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { checkDeadlines } from './deadlines.js'
import type { EngineCore } from './engine-core.js'

/**
 * The request timeout (README "HTTP, limits and timeouts": idle time between data events) and the keep-alive timeout as one
 * periodic sweep over the open connections instead of socket timers. node:http arms a socket timer for
 * the keep-alive timeout when a response finishes and disarms it when the next request arrives, and a
 * request timer (`server.timeout`) would be re-armed on every read and write: each is a timer-list
 * insert and a clock read, together 2–4 % of a small request's CPU (measured with bench/paired.mjs,
 * `GET /` without pipelining). The sweep costs one pass over the connections per interval, as node's own
 * headers-timeout check does, and it closes a connection up to one interval (≤ 1 s) later than the timer
 * would.
 * - A **busy** connection (its request still arriving, or its response not finished) is judged by the
 *   request timeout: when its byte counts have not moved for `requestMs`, `handleTimeout` decides (drop it
 *   when the client is the slow side, keep it when only the handler is still working).
 * - An **idle** connection (between requests, or opened and silent) is closed when nothing has moved for
 *   the keep-alive time plus `KEEP_ALIVE_GRACE_MS`: the `Keep-Alive: timeout=N` header promises N
 *   seconds, and a client reusing the connection right at N must not find it gone (node adds the same
 *   second to its timer).
 * - An upgraded (WebSocket) or tunnelled connection has no HTTP parser any more and is left alone.
 * A timeout of 0 turns that check off. The same pass checks the body and handler deadlines (deadlines.ts).
 */
export const KEEP_ALIVE_GRACE_MS = 1000

const kSeen = Symbol('skitai.idleSeen')
const kSince = Symbol('skitai.idleSince')
const kBusy = Symbol('skitai.idleBusy')

type Watched = Socket & { [kSeen]?: number; [kSince]?: number; [kBusy]?: boolean; parser?: any; _httpMessage?: any }

/** The sweep of one server. */
export class IdleSweep {
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly sockets: Set<Socket>,
    private requestMs: number,
    private keepAliveMs: number,
    private readonly engine: EngineCore,
  ) {
    this.restart()
  }

  /** Change the request timeout (0 turns it off). */
  setRequestTimeout(ms: number): void {
    this.requestMs = ms
    this.restart()
  }

  /** Change the keep-alive timeout (0: idle connections stay open). */
  setKeepAlive(ms: number): void {
    this.keepAliveMs = ms
    this.restart()
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  /** Called when a deadline setting changes (the sweep interval follows the shortest one). */
  restart(): void {
    this.stop()
    const keepAlive = this.keepAliveMs > 0 ? this.keepAliveMs + KEEP_ALIVE_GRACE_MS : 0
    const e = this.engine
    const rate = e.prefs.minBodyRate > 0 ? Math.max(1000, e.prefs.bodyRateGraceSeconds * 1000) : 0
    let shortest = Infinity
    for (const ms of [this.requestMs, keepAlive, e.bodyTimeoutMs, e.handlerTimeoutMs, rate])
      if (ms > 0 && ms < shortest) shortest = ms
    if (shortest === Infinity) return
    const every = Math.max(50, Math.min(1000, Math.floor(shortest / 4)))
    this.timer = setInterval(sweep, every, this.sockets, this.requestMs, keepAlive, e)
    this.timer.unref()
  }
}

function sweep(sockets: Set<Socket>, requestMs: number, keepAliveMs: number, engine: EngineCore): void {
  const now = performance.now()
  for (const s of sockets as Set<Watched>) {
    const parser = s.parser
    // upgraded or tunnelled (or already closing): not an HTTP connection any more
    if (parser == null) continue
    if (checkDeadlines(engine, s, now)) continue
    const req = parser.incoming
    const res = s._httpMessage
    const busy = (req != null && !req.complete) || (res != null && !res.writableFinished)
    const moved = s.bytesRead + s.bytesWritten
    // a change of state (request started, response finished) starts a new wait
    if (moved !== s[kSeen] || busy !== s[kBusy]) {
      s[kSeen] = moved
      s[kBusy] = busy
      s[kSince] = now
      continue
    }
    const limit = busy ? requestMs : keepAliveMs
    if (limit > 0 && now - (s[kSince] as number) >= limit) {
      s[kSince] = now
      if (busy) handleTimeout(s)
      else s.destroy()
    }
  }
}

/**
 * A socket was idle for the request timeout (or the keep-alive timeout ran out). Drop it when the client
 * is the slow side: sending its request body, not reading our response, or idle between requests. Keep
 * it when the request is complete and only the handler is still working (that is not the client's fault).
 */
export function handleTimeout(socket: Socket): void {
  const req = (socket as any).parser?.incoming as IncomingMessage | undefined
  const res = (socket as any)._httpMessage as ServerResponse | null | undefined
  if (req !== undefined && req !== null && !req.complete) {
    socket.destroy()
    return
  }
  if (res !== undefined && res !== null && !res.writableEnded && socket.writableLength === 0) return
  socket.destroy()
}
