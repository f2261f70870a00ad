import type { IncomingHttpHeaders } from 'node:http'
import type { ServerHttp2Stream } from 'node:http2'
import type { Socket } from 'node:net'
import { Readable, type Stream } from 'node:stream'

/**
 * The request of an HTTP/2 stream that came without a body (END_STREAM on its HEADERS frame) for an
 * engine-native mount (Saddle, static): http2-lean.ts. Node's compatibility request adds eight
 * listeners, a closure and a proxy socket per stream, about half of the CPU of a small h2 answer
 * (README "HTTP/2 and TLS"); this one keeps the fields and methods the engine and Saddle read, over
 * the stream, and is still a Readable — of the empty body — so code that reads a body sees it end.
 * Node listeners (Express, Koa, fetch handlers) and requests with a body keep node's objects.
 */
export class H2LeanRequest extends Readable {
  declare readonly stream: ServerHttp2Stream
  /** The HTTP/2 header object (pseudo-headers included, as node's compatibility request has them). */
  declare readonly headers: IncomingHttpHeaders
  declare readonly rawHeaders: string[]
  declare readonly method: string
  declare url: string
  /** The session's socket: its address and TLS state (reading it is safe; ending it would end the session). */
  declare readonly socket: Socket
  declare aborted: boolean
  declare skitaiIp: string | undefined
  declare skitaiSocket: Socket | null
  /** Its response (H2LeanResponse), set by the pipeline. */
  declare skitaiRes: Stream | null

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[], socket: Socket) {
    // not auto-destroyed at the end of the body: destroying the request resets its stream (as node's does)
    super({ autoDestroy: false })
    this.stream = stream
    this.headers = headers
    this.rawHeaders = rawHeaders
    this.method = headers[':method'] as string
    this.url = headers[':path'] as string
    this.socket = socket
  }

  get connection(): Socket {
    return this.socket
  }
  get authority(): string | undefined {
    return this.headers[':authority'] as string | undefined
  }
  get scheme(): string | undefined {
    return this.headers[':scheme'] as string | undefined
  }
  /** The body is empty and was all received with the headers. */
  get complete(): boolean {
    return true
  }
  get trailers(): IncomingHttpHeaders {
    return {}
  }
  get rawTrailers(): string[] {
    return []
  }

  /** Reading the (empty) body: its end. */
  override _read(): void {
    this.push(null)
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.stream.destroyed) this.stream.destroy(err ?? undefined)
    cb(err)
  }

  setTimeout(ms: number, cb?: () => void): this {
    this.stream.setTimeout(ms, cb)
    return this
  }
}

const proto = H2LeanRequest.prototype as any
// fields every request reads the same, and defaults, on the prototype (class fields would be defined on
// every request: see SkitaiResponse in response.ts)
proto.aborted = false
proto.httpVersion = '2.0'
proto.httpVersionMajor = 2
proto.httpVersionMinor = 0
proto.skitaiIp = undefined
proto.skitaiSocket = null
proto.skitaiRes = null
