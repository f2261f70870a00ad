import type { Socket } from 'node:net'
import { handleTimeout } from './pipeline.js'

/**
 * The request timeout (SPEC §1.4: idle time between data events) as a periodic sweep over the open
 * connections instead of a socket timer. A socket timer (`server.timeout`) is re-armed on every read and
 * write of every request — a timer-list insert and a clock read each time, a few per cent of a small
 * request's cost; the sweep costs one pass over the connections per interval, as node's own
 * headers-timeout check does. A connection is judged only while a request is in progress on it (its
 * request still arriving, or its response not yet finished): between requests the keep-alive timeout
 * applies, and an upgraded (WebSocket) connection has no HTTP request any more. When a busy
 * connection's byte counts have not moved for `timeoutMs`, `handleTimeout` decides (drop it when the
 * client is the slow side, keep it when only the handler is still working).
 */
const kSeen = Symbol('skitai.idleSeen')
const kSince = Symbol('skitai.idleSince')

type Watched = Socket & { [kSeen]?: number; [kSince]?: number; parser?: any; _httpMessage?: any }

/** The sweep of one server; `set` changes the timeout (0 turns it off). */
export class IdleSweep {
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly sockets: Set<Socket>,
    timeoutMs: number,
  ) {
    this.set(timeoutMs)
  }

  set(timeoutMs: number): void {
    this.stop()
    if (!(timeoutMs > 0)) return
    const every = Math.max(50, Math.min(1000, Math.floor(timeoutMs / 4)))
    this.timer = setInterval(sweep, every, this.sockets, timeoutMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }
}

function sweep(sockets: Set<Socket>, timeoutMs: number): void {
  const now = performance.now()
  for (const s of sockets as Set<Watched>) {
    const req = s.parser?.incoming
    const res = s._httpMessage
    const busy = (req != null && !req.complete) || (res != null && !res.writableFinished)
    if (!busy) {
      s[kSeen] = -1
      continue
    }
    const moved = s.bytesRead + s.bytesWritten
    if (moved !== s[kSeen]) {
      s[kSeen] = moved
      s[kSince] = now
      continue
    }
    if (now - (s[kSince] as number) >= timeoutMs) {
      s[kSince] = now
      handleTimeout(s)
    }
  }
}
