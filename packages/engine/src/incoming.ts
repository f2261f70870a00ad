import { IncomingMessage } from 'node:http'
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { responseClosed } from './response.js'

const nodeDestroy = (IncomingMessage.prototype as any)._destroy as (
  err: Error | null,
  cb: (e?: Error | null) => void,
) => void

/**
 * The server's request class: node's IncomingMessage plus a link to its response. When a connection
 * closes with pipelined requests still queued, node destroys those requests ('aborted') but never emits
 * 'close' on their responses, which wait in an internal queue for the connection: their bookkeeping
 * (in-flight count, `was.close()`, log line) would never run, and a server whose clients drop pipelined
 * connections would fill up to `maxInFlight` and answer 503. An aborted request therefore closes its
 * response's bookkeeping itself (once: `responseClosed` ignores a second call).
 */
export class SkitaiRequest extends IncomingMessage {
  declare skitaiRes: ServerResponse | null
  /**
   * The connection, when `req.socket` is not it: an HTTP/2 request's `socket` is a Proxy node builds per
   * stream, so http2-server.ts puts the session's socket here (null on HTTP/1.1, where `req.socket` is it).
   */
  declare skitaiSocket: Socket | null
}
// prototype defaults instead of class fields, for the same reason as SkitaiResponse's (response.ts)
;(SkitaiRequest.prototype as any).skitaiRes = null
;(SkitaiRequest.prototype as any).skitaiSocket = null

;(SkitaiRequest.prototype as any)._destroy = closingDestroy

/**
 * node's `_destroy` marks a request cut short `aborted` (synchronously, before its 'close' a tick later):
 * one call per request, where an `emit` override would see every one of its events ('readable', 'resume',
 * 'end', 'close').
 */
function closingDestroy(this: SkitaiRequest, err: Error | null, cb: (e?: Error | null) => void): void {
  nodeDestroy.call(this, err, cb)
  if (this.aborted && this.skitaiRes !== null) responseClosed(this.skitaiRes)
}

/** For a request handed to a Node listener that may swap its prototype (Express does). */
export function pinRequestHooks(req: IncomingMessage): void {
  if (req instanceof SkitaiRequest) (req as any)._destroy = closingDestroy
}
