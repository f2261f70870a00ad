import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { Was, wasStorage } from '@skitai/was'
import { isSkitaiApp, type SkitaiApp } from './contract.js'
import type { RenderedError } from './error-page.js'
import { honoNodeServerLib } from './lazy-server-libs.js'
import type { AppTarget } from './mounts.js'
import { createAliasProxy, createAliasUpgrade } from './proxy.js'
import type { EngineRequestContext } from './request-context.js'
import { fillHostFromAuthority, http2Variants, isHttp2Request, runWithVariants } from './http2-listener.js'
import { pinRequestHooks } from './incoming.js'
import { pinResponseHooks } from './response.js'

/** A Node request listener: `(req, res) => void` (Express, koa.callback(), a plain function). */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown
/** A fetch-style handler (a Hono app). */
export interface FetchHandler {
  fetch(request: Request, ...rest: any[]): Response | Promise<Response>
}

/** Anything `mount()` accepts as an app (module paths and static directories are strings, resolved elsewhere). */
export type MountableApp = SkitaiApp | NodeListener | FetchHandler

export function isFetchHandler(x: unknown): x is FetchHandler {
  return typeof x === 'object' && x !== null && typeof (x as any).fetch === 'function'
}

/** `{ port, host?, https? }`: a server already running (`testClient({ port })`), not an app to mount. */
export function isServerAddress(x: any): x is { port: number; host?: string; https?: boolean } {
  return typeof x === 'object' && x !== null && !isSkitaiApp(x) && !isFetchHandler(x) && typeof x.port === 'number'
}

/** Turn an app into the engine's target; throws a clear error for anything else. */
export function toAppTarget(x: unknown, source: string, reporter: ErrorReporter): AppTarget {
  if (isSkitaiApp(x)) return new SkitaiTarget(x)
  if (typeof x === 'function') return new ListenerTarget(x as NodeListener, 'listener')
  if (isFetchHandler(x)) return new ListenerTarget(fetchToListener(x, reporter), 'fetch')
  throw new TypeError(
    `cannot mount ${source}: expected a Saddle app, a Node request listener (req, res), an object with fetch(request), a static directory, a module path or '@alias'`,
  )
}

export function aliasTarget(target: string): AppTarget {
  return new ProxyTarget(createAliasProxy(target), createAliasUpgrade(target))
}

class SkitaiTarget implements AppTarget {
  readonly kind = 'skitai' as const
  readonly upgrade: AppTarget['upgrade']
  constructor(readonly app: SkitaiApp) {
    this.upgrade = typeof app.upgrade === 'function' ? app.upgrade.bind(app) : null
  }
  handle(req: IncomingMessage, res: ServerResponse, ctx: EngineRequestContext): unknown {
    return this.app.handle(req, res, ctx)
  }
}

/**
 * Node listeners and fetch handlers: the mount point is stripped from `req.url` and kept in `req.baseUrl`
 * and `req.originalUrl` the way Express expects of a sub-app; the listener runs inside the request's `was`
 * (AsyncLocalStorage) so `import { was } from '@skitai/was'` works in it.
 */
class ListenerTarget implements AppTarget {
  readonly app = null
  readonly upgrade = null
  constructor(
    private readonly listener: NodeListener,
    readonly kind: 'listener' | 'fetch',
  ) {}

  handle(req: IncomingMessage, res: ServerResponse, ctx: EngineRequestContext): unknown {
    if (ctx.mountPoint.length > 0) stripMountPoint(req, ctx.mountPoint)
    pinResponseHooks(res)
    pinRequestHooks(req)
    const w = new Was(ctx, ctx.ltxnid)
    ctx.was = w
    if (isHttp2Request(req)) return this.handleHttp2(req, res, w)
    return wasStorage.run(w, this.listener, req, res)
  }

  private handleHttp2(req: IncomingMessage, res: ServerResponse, w: Was): unknown {
    fillHostFromAuthority(req)
    const v = http2Variants(this.listener)
    if (v === null) return wasStorage.run(w, this.listener, req, res)
    return runWithVariants(this.listener as any, v, () => wasStorage.run(w, this.listener, req, res))
  }
}

class ProxyTarget implements AppTarget {
  readonly kind = 'proxy' as const
  readonly app = null
  readonly upgrade: AppTarget['upgrade']
  constructor(
    private readonly proxy: (req: IncomingMessage, res: ServerResponse, ctx: EngineRequestContext) => void,
    private readonly proxyUpgrade: (
      req: IncomingMessage,
      socket: Duplex,
      head: Buffer,
      ctx: EngineRequestContext,
    ) => boolean,
  ) {
    this.upgrade = (req, socket, head, ctx) =>
      wasStorage.run(new Was(ctx, ctx.ltxnid), this.proxyUpgrade, req, socket, head, ctx)
  }
  handle(req: IncomingMessage, res: ServerResponse, ctx: EngineRequestContext): unknown {
    const w = new Was(ctx, ctx.ltxnid)
    ctx.was = w
    return wasStorage.run(w, this.proxy, req, res, ctx)
  }
}

/** `/api/users?x=1` under `/api` → req.url `/users?x=1`, baseUrl `/api`, originalUrl `/api/users?x=1`. */
export function stripMountPoint(req: IncomingMessage, point: string): void {
  const r = req as IncomingMessage & { baseUrl?: string; originalUrl?: string }
  const original = req.url as string
  const rest = original.slice(point.length)
  r.originalUrl = original
  r.baseUrl = point
  req.url = rest.length === 0 || rest.charCodeAt(0) === 63 /* ? */ ? `/${rest}` : rest
}

/**
 * A fetch handler as a Node listener through @hono/node-server's converter (a lazily built Request, one
 * writeHead for the Response), without replacing the global Request/Response. Errors are rethrown so the
 * engine answers them like any other handler error.
 */
function fetchToListener(h: FetchHandler, reporter: ErrorReporter): NodeListener {
  const callback = (request: Request, env: { incoming: IncomingMessage; outgoing: ServerResponse }) => {
    let r: Response | Promise<Response>
    try {
      r = h.fetch(request, env)
    } catch (e) {
      return errorResponse(reporter.handlerError(e, env.incoming, env.outgoing), env.outgoing)
    }
    if (r !== null && typeof (r as any).then === 'function') {
      return (r as Promise<Response>).then(undefined, (e) =>
        errorResponse(reporter.handlerError(e, env.incoming, env.outgoing), env.outgoing),
      )
    }
    return r
  }
  return honoNodeServerLib().getRequestListener(callback as any, { overrideGlobalObjects: false })
}

function errorResponse(e: RenderedError, outgoing: ServerResponse): Response {
  const headers: Record<string, string> = {}
  for (const k in e.headers) {
    const v = e.headers[k]!
    // A Fetch Headers object folds repeated names into one line; set arrays on the Node response
    // instead, which writeHead merges in, one line per value (e.g. several WWW-Authenticate challenges).
    if (Array.isArray(v)) outgoing.setHeader(k, v)
    else headers[k] = String(v)
  }
  return new Response(e.body.length > 0 ? e.body : null, { status: e.status, headers })
}

/** Logs a handler's error and renders the error page for it (the engine implements it). */
export interface ErrorReporter {
  handlerError(err: unknown, req: IncomingMessage, res: ServerResponse): RenderedError
}
