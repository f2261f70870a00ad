import { type TxnSource, Was } from '@skitai/was'
import type { SaddleWebSocket } from './contract.js'

/**
 * The WebSocket members of `was` (README "WebSocket routes"): the connection of a WebSocket route and
 * the event being handled. `SaddleWas` extends it; outside WebSocket routes the slots stay empty.
 */
export class WebSocketWas extends Was {
  /** the connection of a WebSocket route (websocket/session.ts), else null */
  #ws: SaddleWebSocket | null
  /** the WebSocket event being handled: 0 a message, 1 init, 2 open, 3 close */
  #wsEvent: number

  constructor(gtxnid: string | TxnSource, ltxnid: number) {
    super(gtxnid, ltxnid)
    this.#ws = null
    this.#wsEvent = 0
  }

  /** The connection of a WebSocket route: `send(data, clientId?)`, `sendAll`, `close`, `clients`. */
  get websocket(): SaddleWebSocket {
    if (this.#ws === null) throw new Error('was.websocket is only available in a WebSocket route')
    return this.#ws
  }

  /** The handshake is being checked (the handler is called before the 101). */
  wsinit(): boolean {
    return this.#wsEvent === 1
  }

  /** The connection has just opened (a returned value is sent). */
  wsopened(): boolean {
    return this.#wsEvent === 2
  }

  /** The connection has closed. */
  wsclosed(): boolean {
    return this.#wsEvent === 3
  }

  /** The handler was called for an event (init, open, close), not for a message. */
  wshasevent(): boolean {
    return this.#wsEvent !== 0
  }

  /** The connection's numeric client id (from 0, per process); -1 outside WebSocket routes. */
  wsclient(): number {
    return this.#ws === null ? -1 : this.#ws.clientId
  }

  /** @internal the connection of the WebSocket route being handled */
  attachWebSocket(ws: SaddleWebSocket): void {
    this.#ws = ws
  }

  /** @internal the WebSocket event being handled: 0 a message, 1 init, 2 open, 3 close */
  setWsEvent(kind: number): void {
    this.#wsEvent = kind
  }
}
