import { IncomingMessage, ServerResponse } from 'node:http'
import { SkitaiH2Request, SkitaiH2Response } from './http2-response.js'

/**
 * Node listeners over HTTP/2 (README "HTTP/2 and TLS", differences for node listeners). They get node's
 * compatibility objects (Http2ServerRequest/Http2ServerResponse), with two adjustments:
 * - `req.headers.host` is filled from `:authority` when the client sent no Host header (every h2
 *   client), since Express's `req.hostname`, Koa's `ctx.host` and most code read Host;
 * - Express replaces the request's and response's prototypes by its own (`app.request`, `app.response`,
 *   which inherit from node:http's classes) and would lose the HTTP/2 objects' methods. For an
 *   Express-like listener (one with `request`/`response` objects inheriting from IncomingMessage /
 *   ServerResponse) HTTP/2 variants of those objects are built once — the same methods over
 *   Http2ServerRequest/Http2ServerResponse — and put in place while the listener's synchronous start
 *   runs (that is where Express swaps the prototypes).
 */
export function isHttp2Request(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2
}

export function fillHostFromAuthority(req: IncomingMessage): void {
  const h = req.headers
  if (h.host === undefined) {
    const a = h[':authority']
    if (typeof a === 'string') h.host = a
  }
}

interface ExpressLike {
  request: object
  response: object
}

const variants = new WeakMap<object, { request: object; response: object }>()

/** The HTTP/2 variants of an Express-like app's request/response objects; null when it is not one. */
export function http2Variants(listener: unknown): { request: object; response: object } | null {
  const app = listener as Partial<ExpressLike>
  if (typeof app.request !== 'object' || typeof app.response !== 'object') return null
  let v = variants.get(app as object)
  if (v === undefined) {
    v = {
      request: rebase(app.request as object, IncomingMessage.prototype, SkitaiH2Request.prototype),
      response: rebase(app.response as object, ServerResponse.prototype, SkitaiH2Response.prototype),
    }
    variants.set(app as object, v)
  }
  return v
}

/** An object with `obj`'s own and inherited properties down to `stop`, inheriting from `base` instead. */
function rebase(obj: object, stop: object, base: object): object {
  const chain: object[] = []
  for (let o: object | null = obj; o !== null && o !== stop && o !== Object.prototype; o = Object.getPrototypeOf(o))
    chain.push(o)
  const out = Object.create(base)
  // the farthest first, so nearer objects override
  for (let i = chain.length - 1; i >= 0; i--) Object.defineProperties(out, Object.getOwnPropertyDescriptors(chain[i]))
  return out
}

/** Run `listener` with the app's objects swapped for their HTTP/2 variants during its synchronous start. */
export function runWithVariants<T>(app: ExpressLike, v: { request: object; response: object }, run: () => T): T {
  const request = app.request
  const response = app.response
  app.request = v.request
  app.response = v.response
  try {
    return run()
  } finally {
    app.request = request
    app.response = response
  }
}
