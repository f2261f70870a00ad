import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocketServer } from 'ws'
import type { AccessLog } from './access-log.js'
import type { WebSocketAcceptOptions } from './contract.js'
import { wsLib } from './lazy-server-libs.js'
import type { EngineRequestContext } from './request-context.js'
import { EngineWebSocket, type SessionOwner } from './ws-session.js'

/** What the hub needs of the engine. */
export interface HubHost {
  readonly log: AccessLog
  readonly connections: number
}

/**
 * The engine's WebSocket sessions (README "WebSocket routes"): the handshake through `ws` (one
 * `noServer` WebSocketServer per message size limit), client ids, the access-log line of each session,
 * and one periodic sweep for idle timeouts and ping/pong over all sessions — instead of one or two timers
 * per connection, which 10,000 idle sessions would each keep re-arming.
 */
export class WsHub implements SessionOwner {
  readonly sessions = new Set<EngineWebSocket>()
  private readonly servers = new Map<number, WebSocketServer>()
  /** Headers for the 101 of a request (cookies set during the handshake), read by the 'headers' event. */
  private readonly extraHeaders = new WeakMap<IncomingMessage, string[]>()
  private nextId = 0
  private timer: NodeJS.Timeout | null = null
  private tickMs = 0

  constructor(private readonly host: HubHost) {}

  allocateId(): number {
    return this.nextId++
  }

  accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    ctx: EngineRequestContext,
    options: WebSocketAcceptOptions,
    clientId: number,
    headers: string[],
    onOpen: (s: EngineWebSocket | null) => void,
  ): void {
    if (headers.length > 0) this.extraHeaders.set(req, headers)
    if (!socket.readable || !socket.writable) {
      socket.destroy()
      onOpen(null)
      return
    }
    this.serverFor(options.maxMessageSize).handleUpgrade(req, socket, head, (ws) => {
      const s = new EngineWebSocket(ws, clientId, options, req, ctx, this, performance.now())
      this.sessions.add(s)
      this.watch(options)
      onOpen(s)
    })
  }

  private serverFor(maxPayload: number): WebSocketServer {
    let s = this.servers.get(maxPayload)
    if (s === undefined) {
      s = new (wsLib().WebSocketServer)({
        noServer: true,
        clientTracking: false,
        maxPayload,
        // compression per message costs CPU and memory per connection (zlib contexts): off, as in ws's
        // own recommendation for servers with many connections
        perMessageDeflate: false,
      })
      s.on('headers', (lines: string[], req: IncomingMessage) => {
        const extra = this.extraHeaders.get(req)
        if (extra !== undefined) for (const l of extra) lines.push(l)
      })
      this.servers.set(maxPayload, s)
    }
    return s
  }

  sessionClosed(s: EngineWebSocket): void {
    this.sessions.delete(s)
    if (s.ctx.logged) this.host.log.webSocket(s.req, s.ctx, s, this.host.connections)
    if (this.sessions.size === 0 && this.timer !== null) {
      clearInterval(this.timer)
      this.timer = null
      this.tickMs = 0
    }
  }

  /** Every session gets a close frame (1001 by default: the server is going away). */
  closeAll(code = 1001, reason = 'server shutting down'): void {
    for (const s of this.sessions) s.close(code, reason)
  }

  /** The sweep runs at a quarter of the shortest idle timeout or ping interval (25 ms … 1 s). */
  private watch(o: WebSocketAcceptOptions): void {
    let shortest = Number.POSITIVE_INFINITY
    if (o.idleTimeout > 0) shortest = o.idleTimeout
    if (o.pingInterval > 0) shortest = Math.min(shortest, o.pingInterval)
    if (shortest === Number.POSITIVE_INFINITY) return
    const tick = Math.min(1000, Math.max(25, Math.floor(shortest / 4)))
    if (this.timer !== null && tick >= this.tickMs) return
    if (this.timer !== null) clearInterval(this.timer)
    this.tickMs = tick
    this.timer = setInterval(() => this.sweep(), tick)
    this.timer.unref()
  }

  private sweep(): void {
    const now = performance.now()
    for (const s of this.sessions) {
      const o = s.options
      if (o.idleTimeout > 0) {
        if (s.gotMessage) {
          s.gotMessage = false
          s.lastMessageTick = now
        } else if (now - s.lastMessageTick >= o.idleTimeout) {
          s.close(1000, 'idle timeout')
          continue
        }
      }
      if (o.pingInterval > 0 && now - s.lastPingTick >= o.pingInterval) {
        if (s.awaitingPong && !s.heard) {
          // nothing came back since the last ping: the peer (or the path to it) is gone
          s.terminate()
          continue
        }
        s.heard = false
        s.awaitingPong = true
        s.lastPingTick = now
        if (s.isOpen) s.ws.ping()
      }
    }
  }
}
