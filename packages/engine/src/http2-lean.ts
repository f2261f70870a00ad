import type { IncomingHttpHeaders } from 'node:http'
import { constants } from 'node:http2'
import { type MountTable, matchEntry } from './mounts.js'

/**
 * Which HTTP/2 streams skip node's compatibility layer (README "HTTP/2 and TLS"). node:http2's
 * `createServer(listener)` builds an Http2ServerRequest and an Http2ServerResponse for every stream,
 * with eight listeners, a closure and a proxy socket, and waits for trailers on every response:
 * measured at about half of the server's CPU for a small answer over h2c (a bare `stream.respond` +
 * `stream.end` server does twice the requests per second of a bare compatibility-API one). A stream
 * that came without a body (END_STREAM on its HEADERS frame: GET, HEAD, DELETE, a POST without body)
 * for an engine-native mount — a Saddle app, a static directory, nothing mounted — gets the engine's
 * own request and response instead (http2-lean-request.ts, http2-lean-response.ts): the same
 * `handleRequest`, the surface the engine and Saddle use. Node listeners (Express, Koa, fetch
 * handlers), `@alias` proxies, requests with a body, CONNECT and `Expect` keep node's objects, whose
 * fuller emulation of node:http they rely on.
 */
export function takesLeanStream(mounts: MountTable, headers: IncomingHttpHeaders, flags: number): boolean {
  if ((flags & constants.NGHTTP2_FLAG_END_STREAM) === 0) return false
  if (headers[':method'] === 'CONNECT' || headers.expect !== undefined) return false
  let entry = mounts.rootOnly
  if (entry === null) {
    const url = headers[':path']
    if (typeof url !== 'string') return false
    const q = url.indexOf('?')
    const host = headers.host ?? headers[':authority']
    entry = matchEntry(mounts.tableForHost(typeof host === 'string' ? host : undefined), q < 0 ? url : url.slice(0, q))
    if (entry === null) return true
  }
  const app = entry.app
  return app === null || app.kind === 'skitai'
}
