import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'

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
  /** The engine's limit for request bodies (bytes); apps may only lower it. */
  readonly maxBodySize: number
  /** Whether the request has a body (Content-Length over 0, or Transfer-Encoding). */
  readonly hasBody: boolean
  /** Whether the request has an `Origin` header (a cross-origin or CORS-aware request). */
  readonly hasOrigin: boolean
}

export interface SkitaiApp {
  readonly [SKITAI_APP]: true
  /** Name under which other apps find it (`was.apps[name]`, `'name:route'` URL building). */
  readonly name?: string
  /** Called once per mount before the server listens; the app learns its mount point. */
  mount(info: MountInfo): void | Promise<void>
  /** Handle one request and end the response (also on error). Must not throw synchronously. */
  handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void
  /** WebSocket upgrade: return true when the app took the socket. */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RequestContext): boolean
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
}
