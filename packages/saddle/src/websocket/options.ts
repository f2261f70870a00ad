/**
 * The `websocket` option of a route (README "WebSocket routes"), checked once when the app is
 * compiled: a wrong spec, an unknown option or a handler that cannot serve the spec is an error at
 * mount time, not at the first connection.
 */
import type { RouteInfo } from '../contract.js'
import type { SaddleWas } from '../saddle-was.js'

export type WebSocketSpec = 'simple' | 'threadsafe' | 'session' | 'groupchat'

export interface WebSocketOptions {
  /** How messages reach the handler (default 'simple'). */
  spec?: WebSocketSpec
  /** Seconds without a message from the client before the server closes (1000); 0 = never. Default 60. */
  timeout?: number
  /** 'text' (default): strings as they are; 'json': incoming text parsed, outgoing values serialized. */
  encoding?: 'text' | 'json'
  /** Largest incoming message in bytes, fragments together (default 1 MiB); bigger → close 1009. */
  maxMessageSize?: number
  /** Outgoing bytes buffered for a client that does not read before it is closed with 1008 (default 1 MiB). */
  maxQueue?: number
  /** Seconds between pings; a peer that answers nothing by the next one is cut. 0 = off. Default 30. */
  pingInterval?: number
  /** Called after the 101; a returned value is sent (to the room in groupchat). */
  onopen?: (was: SaddleWas) => unknown
  /** Called once the connection closed, with its close code; in groupchat a returned value goes to the room. */
  onclose?: (was: SaddleWas, code: number) => unknown
  /**
   * Call the route handler for the events (init, open, close) too. Default: when the handler's source
   * uses `was.wshasevent/wsinit/wsopened/wsclosed`.
   */
  events?: boolean
  /** Refuse (403) handshakes without an `Origin` header (browsers always send one). Default false. */
  requireOrigin?: boolean
}

/** The normalized options of one route. */
export interface WsRouteConfig {
  readonly spec: WebSocketSpec
  readonly json: boolean
  readonly idleMs: number
  readonly pingMs: number
  readonly maxMessageSize: number
  readonly maxQueue: number
  readonly onopen: ((was: SaddleWas) => unknown) | null
  readonly onclose: ((was: SaddleWas, code: number) => unknown) | null
  readonly events: boolean
  readonly requireOrigin: boolean
  /** The parameter that receives each message (null for 'session'), and the room's (groupchat). */
  readonly messageParam: string | null
  readonly roomParam: string | null
  /** The handler is a generator function (async or not). */
  readonly generator: boolean
}

const SPECS = new Set<WebSocketSpec>(['simple', 'threadsafe', 'session', 'groupchat'])
const KNOWN = new Set([
  'spec',
  'timeout',
  'encoding',
  'maxMessageSize',
  'maxQueue',
  'pingInterval',
  'onopen',
  'onclose',
  'events',
  'requireOrigin',
])
const MB = 1024 * 1024
const EVENT_USE = /\.\s*ws(?:hasevent|init|opened|closed)\s*\(/

/** A route as its `websocket` option is checked (`Route`; route.ts imports this file's types). */
type WsRoute = RouteInfo & { readonly handler: Function }

const configs = new WeakMap<RouteInfo, WsRouteConfig>()

/** The config of a WebSocket route (compiled with the app), or undefined for any other route. */
export function wsConfigOf(route: RouteInfo): WsRouteConfig | undefined {
  return configs.get(route)
}

/** Checks and stores a route's `websocket` option; throws an Error naming the route and the problem. */
export function compileWsConfig(route: WsRoute): WsRouteConfig {
  const o = (route.options.websocket ?? {}) as WebSocketOptions & Record<string, unknown>
  const where = `route '${route.path}': websocket`
  if (typeof o !== 'object' || o === null) throw new TypeError(`${where} must be an object of options`)
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) throw new TypeError(`${where}: unknown option '${k}'`)
  const spec = o.spec ?? 'simple'
  if (!SPECS.has(spec))
    throw new TypeError(`${where}.spec must be simple, threadsafe, session or groupchat, not '${spec}'`)
  const encoding = o.encoding ?? 'text'
  if (encoding !== 'text' && encoding !== 'json') throw new TypeError(`${where}.encoding must be 'text' or 'json'`)
  const names = route.builder.names
  const handler = route.handler
  const ctorName = handler.constructor?.name
  const generator = ctorName === 'GeneratorFunction' || ctorName === 'AsyncGeneratorFunction'
  if (spec === 'session' && !generator) {
    throw new TypeError(
      `${where}: spec 'session' needs a generator handler (function* (was, ...query) { const msg = yield })`,
    )
  }
  if (spec !== 'session' && names.length === 0) {
    throw new TypeError(`${where}: the handler needs a parameter after was for the message`)
  }
  if (spec === 'groupchat' && names.length < 2) {
    throw new TypeError(
      `${where}: a groupchat handler needs a second parameter naming the room, e.g. (was, message, roomid)`,
    )
  }
  const config: WsRouteConfig = {
    spec,
    json: encoding === 'json',
    idleMs: seconds(o.timeout, 60, `${where}.timeout`),
    pingMs: seconds(o.pingInterval, 30, `${where}.pingInterval`),
    maxMessageSize: bytes(o.maxMessageSize, MB, `${where}.maxMessageSize`),
    maxQueue: bytes(o.maxQueue, MB, `${where}.maxQueue`),
    onopen: fn(o.onopen, `${where}.onopen`),
    onclose: fn(o.onclose, `${where}.onclose`),
    events: o.events ?? (spec !== 'session' && EVENT_USE.test(String(handler))),
    requireOrigin: o.requireOrigin === true,
    messageParam: spec === 'session' ? null : (names[0] as string),
    roomParam: spec === 'groupchat' ? (names[1] as string) : null,
    generator,
  }
  configs.set(route, config)
  return config
}

function seconds(v: unknown, dflt: number, what: string): number {
  if (v === undefined) return dflt * 1000
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new TypeError(`${what} must be seconds ≥ 0`)
  return Math.round(v * 1000)
}

function bytes(v: unknown, dflt: number, what: string): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw new TypeError(`${what} must be a number of bytes ≥ 1`)
  return v
}

function fn<T>(v: unknown, what: string): T | null {
  if (v === undefined || v === null) return null
  if (typeof v !== 'function') throw new TypeError(`${what} must be a function`)
  return v as T
}
