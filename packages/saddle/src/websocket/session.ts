/**
 * One WebSocket connection of a Saddle route after its handshake (README "WebSocket routes"): it is
 * `was.websocket`, turns messages into handler calls by the route's spec, and sends what comes back.
 *
 *  - simple: each message calls the handler at once (an async handler's replies may interleave).
 *  - threadsafe: messages are handled one after another, each reply sent before the next message is
 *    handled; sends from timers and other tasks keep their order (one ordered queue per connection).
 *  - session: one generator per connection (generator.ts).
 *  - groupchat: like simple, but a returned value goes to the whole room.
 * A handler that throws is logged and the connection closed with 1011.
 */
import type { WebSocketSession } from '@skitai/engine'
import { parseJsonSafely } from '@skitai/was'
import { isThenable } from '../thenable.js'
import type { SaddleWebSocket } from '../contract.js'
import type { Route } from '../route.js'
import type { SaddleWas } from '../saddle-was.js'
import { GeneratorDriver } from './generator.js'
import type { WsRouteConfig } from './options.js'
import { type RoomMember, roomRegistry } from './rooms.js'

/** `was.setWsEvent` values. */
export const WS_MESSAGE = 0
export const WS_INIT = 1
export const WS_OPEN = 2
export const WS_CLOSE = 3

/** Messages waiting (threadsafe, session) before the connection stops reading until they are handled. */
const INBOX_HIGH = 64

/** `was.websocket` of a WebSocket route: its `SaddleWebSocket` face (contract.ts) and the connection's workings. */
export class WebSocketConnection implements SaddleWebSocket, RoomMember {
  /** The room key (groupchat), else null. */
  readonly room: string | null
  private session: WebSocketSession | null = null
  private queue: Promise<void> | null = null
  private queued = 0
  private driver: GeneratorDriver | null = null
  private ended = false

  constructor(
    readonly was: SaddleWas,
    readonly clientId: number,
    readonly route: Route,
    readonly config: WsRouteConfig,
    /** The handler's arguments after `was`: the message slot first (except for 'session'), then the query's. */
    private readonly values: unknown[],
    room: string | null,
  ) {
    this.room = room
  }

  /** Whether frames can be sent now. */
  get isOpen(): boolean {
    return this.session?.isOpen === true
  }

  /** Client ids in this connection's room (groupchat), else just this one. */
  get clients(): number[] {
    return this.room === null ? [this.clientId] : roomRegistry().clients(this.room)
  }

  /**
   * Sends a value: bytes as a binary frame, a string as text, anything else as JSON text (with
   * encoding 'json' every value is JSON). With `clientId`, to that member of the room (groupchat).
   * False when the connection is closed or its outgoing queue overflowed (it is then closing).
   */
  send(data: unknown, clientId?: number): boolean {
    const frame = this.encode(data)
    if (clientId !== undefined && clientId !== this.clientId) {
      if (this.room === null) {
        throw new Error('was.websocket.send(data, clientId) sends to a member of the room: only in groupchat routes')
      }
      roomRegistry().publish(this.room, frame, clientId)
      return true
    }
    return this.session?.send(frame) === true
  }

  /** To every member of the room (groupchat); elsewhere the same as `send`. */
  sendAll(data: unknown): void {
    const frame = this.encode(data)
    if (this.room === null) this.session?.send(frame)
    else roomRegistry().publish(this.room, frame)
  }

  /** Closes the connection (close frame `code`, `reason`). */
  close(code = 1000, reason = ''): void {
    this.session?.close(code, reason)
  }

  /** @internal stop / restart reading from the client (inbound back-pressure) */
  pause(): void {
    this.session?.pause()
  }

  /** @internal */
  resume(): void {
    this.session?.resume()
  }

  /** RoomMember: a frame already encoded for the room (public because the RoomMember interface needs it). */
  deliver(frame: string | Buffer): void {
    this.session?.send(frame)
  }

  /** @internal */
  encode(v: unknown): string | Buffer {
    // a string first: the echo's case
    if (typeof v === 'string' && !this.config.json) return v
    if (Buffer.isBuffer(v)) return v
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
    if (this.config.json) return JSON.stringify(v) ?? 'null'
    if (typeof v === 'string') return v
    if (typeof v === 'object' && v !== null) return JSON.stringify(v)
    return String(v)
  }

  /** @internal the 101 is written: wire the session, join the room, run the open event. */
  opened(session: WebSocketSession): void {
    this.session = session
    session.onmessage = (data) => this.received(data)
    session.onclose = (code) => this.closed(code)
    if (this.room !== null) roomRegistry().join(this.room, this)
    const c = this.config
    if (c.onopen !== null)
      this.settle(
        this.guard(() => c.onopen!(this.was)),
        true,
      )
    if (c.events)
      this.settle(
        this.guard(() => this.event(WS_OPEN)),
        true,
      )
    if (c.spec === 'session') {
      this.driver = new GeneratorDriver(this, this.guard(() => this.call()) as Generator | AsyncGenerator)
      this.driver.next(undefined)
    }
  }

  private received(data: string | Buffer): void {
    let msg: unknown = data
    if (this.config.json && typeof data === 'string') {
      try {
        msg = parseJsonSafely(data)
      } catch (e) {
        this.close(1007, `invalid JSON message: ${(e as Error).message}`.slice(0, 120))
        return
      }
    }
    const spec = this.config.spec
    if (spec === 'session') this.driver!.push(msg)
    else if (spec === 'threadsafe') this.enqueue(msg)
    else {
      // the hot path (simple, groupchat): no closure per message
      let v: unknown
      try {
        v = this.message(msg)
      } catch (e) {
        this.failed(e)
        return
      }
      this.settle(v, this.room !== null)
    }
  }

  /** threadsafe: one message at a time, in order; reading pauses while too many wait. */
  private enqueue(msg: unknown): void {
    if (++this.queued === INBOX_HIGH) this.pause()
    const run = async () => {
      let v = this.guard(() => this.message(msg))
      if (isThenable(v)) v = await v.then(undefined, (e) => this.failed(e))
      this.reply(v, false)
      if (--this.queued === INBOX_HIGH - 1) this.resume()
    }
    this.queue = this.queue === null ? run() : this.queue.then(run)
  }

  /** The handler for one message (the slot after `was` holds it). */
  private message(msg: unknown): unknown {
    this.values[0] = msg
    return this.call()
  }

  /** The handler for an event: no message, `was.wsinit()/wsopened()/wsclosed()` tell which. */
  event(kind: number): unknown {
    const was = this.was
    if (this.config.messageParam !== null) this.values[0] = undefined
    was.setWsEvent(kind)
    try {
      return this.call()
    } finally {
      was.setWsEvent(WS_MESSAGE)
    }
  }

  /** The handler with `was` and its arguments; fixed arities avoid a spread call per message. */
  private call(): unknown {
    const r = this.route
    const h = r.handler
    const v = this.values
    switch (v.length) {
      case 1:
        return h.call(r.thisArg, this.was, v[0])
      case 2:
        return h.call(r.thisArg, this.was, v[0], v[1])
      case 3:
        return h.call(r.thisArg, this.was, v[0], v[1], v[2])
      default:
        return h.call(r.thisArg, this.was, ...v)
    }
  }

  /** Runs `fn`; a synchronous throw becomes the connection's failure (undefined is returned). */
  private guard(fn: () => unknown): unknown {
    try {
      return fn()
    } catch (e) {
      this.failed(e)
      return undefined
    }
  }

  /** Sends a handler's result (awaited when it is a promise); `toRoom` for groupchat replies. */
  private settle(v: unknown, toRoom: boolean): void {
    if (isThenable(v))
      v.then(
        (x) => this.reply(x, toRoom),
        (e) => this.failed(e),
      )
    else this.reply(v, toRoom)
  }

  /** @internal */
  reply(v: unknown, toRoom: boolean): void {
    if (v === undefined || this.ended) return
    if (toRoom && this.room !== null) this.sendAll(v)
    else this.send(v)
  }

  /** @internal a handler failed: log it, close with 1011. */
  failed(e: unknown): void {
    this.was.app.logError(e, this.was, `WebSocket ${this.route.path}`)
    this.close(1011, 'internal error')
  }

  private closed(code: number): void {
    this.ended = true
    if (this.room !== null) roomRegistry().leave(this.room, this)
    this.driver?.stop()
    const c = this.config
    // the connection is gone: in groupchat what the close handlers return goes to the rest of the room
    const afterClose = (v: unknown) => {
      if (v !== undefined && this.room !== null) roomRegistry().publish(this.room, this.encode(v))
    }
    const run = (fn: () => unknown) => {
      try {
        const v = fn()
        if (isThenable(v)) v.then(afterClose, (e) => this.was.app.logError(e, this.was, 'WebSocket close handler'))
        else afterClose(v)
      } catch (e) {
        this.was.app.logError(e, this.was, 'WebSocket close handler')
      }
    }
    if (c.onclose !== null) run(() => c.onclose!(this.was, code))
    if (c.events) run(() => this.event(WS_CLOSE))
    this.was.close()
  }
}
