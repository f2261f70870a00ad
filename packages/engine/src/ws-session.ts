import type { IncomingMessage } from 'node:http'
import type WebSocket from 'ws'
import type { WebSocketAcceptOptions, WebSocketSession } from './contract.js'
import type { EngineRequestContext } from './request-context.js'

/** The hub a session reports to (ws-hub.ts): the log line and the sweep's bookkeeping. */
/** ws spreads its send options into a fresh object, so one shared literal serves every send. */
const AS_TEXT = { binary: false } as const

export interface SessionOwner {
  sessionClosed(session: EngineWebSocket): void
}

/**
 * One accepted WebSocket (README "WebSocket routes"): `ws` does the framing (masking, UTF-8 checks,
 * fragments, the size limit, close handshake), this class adds what a server needs around it — message
 * counts for the log, the bounded outgoing queue, and the idle/ping state the hub's sweep reads.
 */
export class EngineWebSocket implements WebSocketSession {
  messagesIn = 0
  messagesOut = 0
  onmessage: ((data: string | Buffer) => void) | null = null
  onclose: ((code: number, reason: string) => void) | null = null
  /** performance.now() when the 101 was written. */
  readonly openedAt = performance.now()
  /** Code of the close (1006 when the connection was cut), set once it closed. */
  closeCode = 0
  // sweep state (ws-hub.ts)
  /** Something arrived since the last sweep tick (message, pong, ping). */
  heard = false
  /** Sweep time of the last tick that saw a message (idle timeout). */
  lastMessageTick: number
  /** A message arrived since the last tick (idle timeout counts messages only, not pongs). */
  gotMessage = false
  /** Sweep time of the last ping sent, and whether an answer is outstanding. */
  lastPingTick: number
  awaitingPong = false
  /** The client's address, kept: the socket forgets it once closed (the log line is written then). */
  readonly remoteAddress: string
  private overflowed = false
  /**
   * While a text message is handled synchronously: its string and the frame's bytes (already checked
   * as UTF-8 by ws). A reply of that same string goes out as those bytes, not re-encoded (the echo).
   * Cleared after the handler so that no session keeps its last read buffer alive.
   */
  private lastText: string | null = null
  private lastBytes: Buffer | null = null
  /** The code of a close this side started (reported when the peer never answered it: 1006 otherwise). */
  private sentCode = 0

  constructor(
    readonly ws: WebSocket,
    readonly clientId: number,
    readonly options: WebSocketAcceptOptions,
    readonly req: IncomingMessage,
    readonly ctx: EngineRequestContext,
    private readonly owner: SessionOwner,
    now: number,
  ) {
    this.remoteAddress = req.socket.remoteAddress ?? '-'
    this.lastMessageTick = now
    this.lastPingTick = now
    ws.on('message', (data: Buffer, isBinary: boolean) => this.received(data, isBinary))
    ws.on('pong', () => {
      this.heard = true
      this.awaitingPong = false
    })
    ws.on('ping', () => {
      this.heard = true
    })
    ws.on('error', () => {}) // protocol errors close the socket with their code ('close' reports it)
    ws.once('close', (code: number, reason: Buffer) => this.closed(code, reason.toString()))
  }

  get isOpen(): boolean {
    return this.ws.readyState === 1
  }

  /** Bytes received and sent on the wire (frames with their headers, and the handshake). */
  get bytesIn(): number {
    return this.req.socket.bytesRead
  }

  get bytesOut(): number {
    return this.req.socket.bytesWritten
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount
  }

  private received(data: Buffer, isBinary: boolean): void {
    this.messagesIn++
    this.heard = true
    this.gotMessage = true
    this.awaitingPong = false
    const fn = this.onmessage
    if (fn === null) return
    if (isBinary) {
      fn(data)
      return
    }
    const text = data.toString('utf8')
    this.lastText = text
    this.lastBytes = data
    try {
      fn(text)
    } finally {
      this.lastText = null
      this.lastBytes = null
    }
  }

  send(data: string | Buffer | Uint8Array, cb?: (err?: Error | null) => void): boolean {
    const ws = this.ws
    if (ws.readyState !== 1 || this.overflowed) {
      if (cb !== undefined) queueMicrotask(() => cb(new Error('the WebSocket is closed')))
      return false
    }
    // back-pressure: a client that does not read would make the queue (and the server's memory) grow;
    // a send is refused once the queue is over the bound (it can exceed it by one message)
    if (ws.bufferedAmount > this.options.maxQueue) {
      this.overflow()
      if (cb !== undefined) queueMicrotask(() => cb(new Error('the outgoing queue is full')))
      return false
    }
    this.messagesOut++
    // the text just received, sent back unchanged: its bytes as a text frame (no UTF-8 encode)
    if (data === this.lastText && typeof data === 'string') {
      ws.send(this.lastBytes!, AS_TEXT, cb)
      return true
    }
    // ws frames a string as text and bytes as binary by itself
    if (cb === undefined) ws.send(data)
    else ws.send(data, cb)
    return true
  }

  /** Close 1008 and cut the connection a second later: the close frame waits behind unread data. */
  private overflow(): void {
    this.overflowed = true
    this.sentCode = 1008
    this.ws.close(1008, 'outgoing queue full: the client does not read')
    setTimeout(() => this.ws.terminate(), 1000).unref()
  }

  close(code = 1000, reason = ''): void {
    const ws = this.ws
    if (ws.readyState !== 0 && ws.readyState !== 1) return
    this.sentCode = code
    ws.close(code, reason)
    // a peer that never answers the close frame is cut after 5 s (ws alone would wait 30 s)
    setTimeout(() => ws.terminate(), 5000).unref()
  }

  /** Cut without a close handshake (dead peer). */
  terminate(): void {
    this.ws.terminate()
  }

  pause(): void {
    this.ws.pause()
  }

  resume(): void {
    this.ws.resume()
  }

  private closed(code: number, reason: string): void {
    if (code === 1006 && this.sentCode !== 0) code = this.sentCode
    this.closeCode = code
    this.owner.sessionClosed(this)
    const fn = this.onclose
    this.onclose = null
    this.onmessage = null
    if (fn !== null) fn(code, reason)
  }
}
