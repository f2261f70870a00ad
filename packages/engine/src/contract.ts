import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { CompressionSettings } from './compression.js'

/**
 * The contract between the engine and a framework app mounted on it (Saddle implements it; the engine
 * never imports Saddle). An object is a Skitai app when it has `[SKITAI_APP] === true`.
 */
export const SKITAI_APP: unique symbol = Symbol.for('skitai.app') as any

/** What the engine tells an app when mounting it. */
export interface MountInfo {
  /** The mount point without a trailing slash: '' for '/', '/v1' for '/v1' or '/v1/'. */
  readonly point: string
  /** Virtual host names of the mount (null = default host). */
  readonly hosts: readonly string[] | null
  /** The engine the app is mounted on (for `was.apps`, URL building across apps, settings). */
  readonly engine: EngineLike
  /** The engine's server log (stderr, or `server.log` with `enableFileLogging`); apps write their errors here. */
  readonly log?: (line: string, level: 'info' | 'warn' | 'error') => void
}

/**
 * An app's hold on a request it is still working on (Saddle: the request's `was`). When the engine answers
 * in the app's place — the handler deadline's 503, the 500 of an error that escaped the handler — it calls
 * `abandon` once, so that the app releases what the request holds (teardown hooks, backend calls, temporary
 * upload files) and ignores the handler's late result (README "Limits").
 */
export interface RequestHolder {
  abandon(reason: unknown): void
}

/** Per-request facts the engine has already worked out; one object per request, fixed shape. */
export interface RequestContext {
  /** Mount point of the app handling the request, '' for the root mount. */
  readonly mountPoint: string
  /**
   * The raw (not decoded) path after the mount point, starting with '/'; '' when the URL is exactly
   * the mount point without its trailing slash ('/rpc2' for an app mounted at '/rpc2'), which a Saddle
   * app answers with 308 (a Node listener is given req.url '/' in that case, as Express expects).
   */
  readonly path: string
  /** The raw query string without '?', '' when absent. */
  readonly search: string
  readonly gtxnid: string
  readonly ltxnid: number
  /** performance.now() when the request arrived. */
  readonly startTime: number
  /** Set by an app after authentication; written to the access log. */
  user: string | null
  /** Set by an app to the name of the route it matched: the `route` label of the metrics. */
  route: string | null
  /** The engine's limit for request bodies (bytes); apps may only lower it. */
  readonly maxBodySize: number
  /** Whether the request has a body (Content-Length over 0, or Transfer-Encoding). */
  readonly hasBody: boolean
  /** Whether the request has an `Origin` header (a cross-origin or CORS-aware request). */
  readonly hasOrigin: boolean
  /**
   * The async id of the scope the app called its handler in (0: none). A callback the handler scheduled
   * (a timer, an immediate) carries it as its trigger id, so an exception it throws reaches this request
   * even without AsyncLocalStorage (see `handlerScope`).
   */
  asyncId: number
  /** The request's `Accept-Encoding` (the first one), undefined when absent. */
  readonly acceptEncoding: string | undefined
  /**
   * Whether the request has a `Range` or an `If-*` header: its answer may become a 206/304/412/416
   * (response-body.ts). False for most requests, which skip those checks.
   */
  readonly conditional: boolean
  /** The engine's compression settings (`skitai.setCompression`), null when compression is off. */
  readonly compression: CompressionSettings | null
  /** Set by the app while it holds the request (see `RequestHolder`); null when there is none to tell. */
  holder: RequestHolder | null
}

export interface SkitaiApp {
  readonly [SKITAI_APP]: true
  /** Name under which other apps find it (`was.apps[name]`, `'name:route'` URL building). */
  readonly name?: string
  /** Called once per mount before the server listens; the app learns its mount point. */
  mount(info: MountInfo): void | Promise<void>
  /** Handle one request and end the response (also on error). Must not throw synchronously. */
  handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void
  /**
   * An `Upgrade` request: return true when the app took the socket. For a WebSocket the engine passes
   * `control` (the handshake and the session are the engine's; see `UpgradeControl`).
   */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RequestContext, control?: UpgradeControl): boolean
  /** Graceful shutdown: run beforeUmount/umounted hooks. */
  unmount?(): void | Promise<void>
}

export function isSkitaiApp(x: unknown): x is SkitaiApp {
  return typeof x === 'object' && x !== null && (x as any)[SKITAI_APP] === true
}

/** The part of the engine apps may see. */
export interface EngineLike {
  /** All mounted Skitai apps by name. */
  readonly apps: Readonly<Record<string, SkitaiApp>>
  /** Mount point of a mounted app ('' for root). */
  mountPointOf(app: SkitaiApp): string | undefined
  /** The status report (`was.status()`, README "Status page and metrics"), summed over all workers. */
  status?(): Promise<unknown>
}

/**
 * What an app gets with a WebSocket upgrade. The app decides (its checks, hooks, auth) and then either
 * refuses by writing an HTTP answer into `response` (logged like any request; the connection closes after
 * it), or calls `accept`: the engine writes the 101 (with the headers set on `response`, e.g. cookies),
 * keeps the session (idle timeout, ping/pong, size limit, bounded outgoing queue) and writes one access
 * log line for it when it closes.
 */
export interface UpgradeControl {
  readonly response: ServerResponse
  /** The numeric id the session will have (allocated on first read; ids count up from 0 per process). */
  readonly clientId: number
  /** Completes the handshake; `onOpen` gets the session, or null when the client went away first. */
  accept(options: WebSocketAcceptOptions, onOpen: (session: WebSocketSession | null) => void): void
}

export interface WebSocketAcceptOptions {
  /** Largest message (all fragments together) in bytes; a bigger one closes with 1009 before it is read. */
  maxMessageSize: number
  /** Close with 1000 after this many ms without a message from the client; 0 = never. */
  idleTimeout: number
  /** Ping every this many ms; a peer that has not answered (or sent anything) by the next ping is cut. 0 = off. */
  pingInterval: number
  /** Outgoing bytes the session may buffer for a client that does not read; over it → close 1008. */
  maxQueue: number
}

/** One open WebSocket connection, as the engine keeps it. */
export interface WebSocketSession {
  readonly clientId: number
  readonly messagesIn: number
  readonly messagesOut: number
  /** Whether frames can still be sent. */
  readonly isOpen: boolean
  /** Outgoing bytes not yet handed to the kernel. */
  readonly bufferedAmount: number
  /** Text frames arrive as strings (UTF-8 checked: bad text closes with 1007), binary ones as Buffers. */
  onmessage: ((data: string | Buffer) => void) | null
  /** Once, when the connection has closed (1006 when it was cut without a close frame). */
  onclose: ((code: number, reason: string) => void) | null
  /** Sends one frame (string → text, bytes → binary); false when closed or when the queue overflowed. */
  send(data: string | Buffer | Uint8Array, cb?: (err?: Error | null) => void): boolean
  close(code?: number, reason?: string): void
  /** Stop (and restart) reading from the client: its messages wait in the kernel meanwhile. */
  pause(): void
  resume(): void
}
