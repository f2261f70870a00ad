import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { UpgradeControl, WebSocketAcceptOptions, WebSocketSession } from './contract.js'
import type { EngineCore } from './engine-core.js'
import type { EngineRequestContext } from './request-context.js'
import { SkitaiResponse } from './response.js'

/** Headers of a refusal that make no sense on a 101. */
const NOT_FOR_101 = new Set(['content-length', 'content-type', 'transfer-encoding', 'connection', 'upgrade'])

/**
 * The `UpgradeControl` an app gets with a WebSocket upgrade (contract.ts). Its `response` is a real
 * response on the upgrade's socket, counted and logged like any request, so a refusal (400, 401 with
 * its challenge, 403, 404) goes through the app's ordinary error writer. `accept` hands the socket to
 * the hub; headers the app set on the response (a session cookie, say) go into the 101.
 */
export class WebSocketUpgrade implements UpgradeControl {
  private res: SkitaiResponse | null = null
  private id = -1
  private done = false

  constructor(
    private readonly engine: EngineCore,
    private readonly req: IncomingMessage,
    private readonly socket: Socket,
    private readonly head: Buffer,
    private readonly ctx: EngineRequestContext,
  ) {}

  get response(): ServerResponse {
    if (this.res === null) {
      const res = new SkitaiResponse(this.req)
      res.shouldKeepAlive = false
      res.assignSocket(this.socket)
      res.skitaiCtx = this.ctx
      this.engine.inFlight++
      // the connection closes once the refusal is written (its 'close' closes the response, for the log)
      res.on('finish', () => this.socket.end())
      this.res = res
    }
    return this.res
  }

  get clientId(): number {
    if (this.id < 0) this.id = this.engine.ws.allocateId()
    return this.id
  }

  accept(options: WebSocketAcceptOptions, onOpen: (session: WebSocketSession | null) => void): void {
    if (this.done) throw new Error('the upgrade was already accepted')
    this.done = true
    const headers: string[] = []
    const res = this.res
    if (res !== null) {
      if (res.headersSent) throw new Error('cannot accept a WebSocket upgrade after writing a response')
      const h = res.getHeaders()
      for (const name of Object.keys(h)) {
        if (NOT_FOR_101.has(name)) continue
        const v = h[name]
        for (const one of Array.isArray(v) ? v : [v]) headers.push(`${name}: ${String(one).replace(/[\r\n]/g, '')}`)
      }
      res.detachSocket(this.socket)
      // the session, not this response, gets the log line; it is not a request in flight any more
      this.ctx.closed = true
      this.engine.inFlight--
    }
    this.engine.ws.accept(this.req, this.socket, this.head, this.ctx, options, this.clientId, headers, onOpen)
  }
}
