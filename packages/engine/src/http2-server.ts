import type { IncomingHttpHeaders, Server } from 'node:http'
import { createServer as createH2, type Http2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import type { Socket } from 'node:net'
import { lingerClose } from './drain-socket.js'
import type { EngineCore } from './engine-core.js'
import { takesLeanStream } from './http2-lean.js'
import { H2LeanRequest } from './http2-lean-request.js'
import { H2LeanResponse } from './http2-lean-response.js'
import { guardH2Session, guardStreams, type H2Limits } from './http2-limits.js'
import { SkitaiH2Request, SkitaiH2Response } from './http2-response.js'
import { handleRequest } from './pipeline.js'

/**
 * HTTP/2 beside HTTP/1.1 on one listening socket (README "HTTP/2 and TLS"). The engine's node:http (or
 * node:https) server stays the listener; its connection listener is wrapped so that
 * - on the plain port, the first bytes of a connection decide: the HTTP/2 connection preface
 *   (`PRI * HTTP/2.0…`, h2c with prior knowledge) hands the socket to a node:http2 server that never
 *   listens itself, anything else goes to node's HTTP/1.1 parser as before;
 * - on the TLS port, ALPN decides (`h2` → node:http2, `http/1.1` or none → node:https).
 * HTTP/2 requests go through node's compatibility API into the same `handleRequest` as HTTP/1.1: one
 * mount table, access log, transaction ids, body limits and 503 estimate for both protocols.
 */

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

const kEngine = Symbol('skitai.engine')
/** The socket a session runs on, and its peer's address, kept on the session when it starts. */
const kSocket = Symbol('skitai.h2socket')
const kIp = Symbol('skitai.h2ip')
/** Requests seen on the session, the count at the last sweep, and since when it has not changed. */
const kRequests = Symbol('skitai.h2requests')
const kSwept = Symbol('skitai.h2swept')
const kQuietSince = Symbol('skitai.h2quietSince')
type KeptSession = ServerHttp2Session & {
  [kSocket]?: Socket
  [kIp]?: string
  [kRequests]: number
  [kSwept]: number
  [kQuietSince]: number
}

function onRequest(this: Http2Server, req: SkitaiH2Request, res: SkitaiH2Response): void {
  // req.socket is a Proxy node builds per stream (and answers only while the stream is open; the log line
  // is written after): the session's own socket and address are read once per session instead
  const session = req.stream.session as KeptSession | undefined
  if (session !== undefined) {
    req.skitaiSocket = session[kSocket] ?? null
    req.skitaiIp = session[kIp]
    session[kRequests]++
  }
  handleRequest((this as any)[kEngine], req as any, res as any)
}

/** A body-less stream for an engine-native mount: the engine's own request and response (http2-lean.ts). */
function onLeanStream(
  engine: EngineCore,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  flags: number,
  rawHeaders: string[],
): boolean {
  if (!takesLeanStream(engine.mounts, headers, flags)) return false
  const session = stream.session as KeptSession | undefined
  const socket = session?.[kSocket] ?? (session?.socket as Socket | undefined)
  if (session === undefined || socket === undefined) return false
  const req = new H2LeanRequest(stream, headers, rawHeaders, socket)
  const res = new H2LeanResponse(stream, req)
  req.skitaiSocket = socket
  req.skitaiIp = session[kIp] ?? socket.remoteAddress
  session[kRequests]++
  handleRequest(engine, req as any, res as any)
  return true
}

/** The HTTP/2 side of one engine server. */
export class H2Side {
  readonly server: Http2Server<any, any, any, any>
  readonly sessions = new Set<ServerHttp2Session>()
  /** Plain-port connections whose first bytes have not come yet (closed at shutdown: nothing is lost). */
  readonly undecided = new Set<Socket>()
  /** The socket being handed to node:http2 (its 'session' event comes while `accept` runs). */
  private accepting: Socket | null = null
  private sweeper: NodeJS.Timeout | null = null

  constructor(
    readonly engine: EngineCore,
    limits: H2Limits,
    idleMs: number,
  ) {
    this.server = createH2({
      settings: {
        maxConcurrentStreams: limits.maxConcurrentStreams,
        maxHeaderListSize: limits.maxHeaderListSize,
        enablePush: false,
      },
      maxHeaderListPairs: limits.maxHeaderListPairs,
      maxSessionMemory: limits.maxSessionMemoryMb,
      // PINGs the server itself may have unanswered (node answers the client's PINGs and SETTINGS itself)
      maxOutstandingPings: 10,
      Http2ServerRequest: SkitaiH2Request,
      Http2ServerResponse: SkitaiH2Response as any,
    })
    // A session without a new request for `idleMs` is closed like an idle HTTP/1.1 keep-alive connection:
    // GOAWAY, streams in flight finish. A sweep, not node's session timeout (server.setTimeout), which
    // node refreshes on every frame sent or received — about 3 µs of CPU per request (README "HTTP/2 and TLS").
    if (idleMs > 0) {
      this.sweeper = setInterval(sweepIdleSessions, Math.max(50, Math.min(1000, Math.floor(idleMs / 4))), this, idleMs)
      this.sweeper.unref()
    }
    this.server.on('request', onRequest)
    ;(this.server as any)[kEngine] = engine
    // node's compatibility layer turns each stream into a request; the limits see the stream first
    guardStreams(this.server, limits, (stream, headers, flags, rawHeaders) =>
      onLeanStream(engine, stream, headers as IncomingHttpHeaders, flags, rawHeaders),
    )
    this.server.on('session', (session: ServerHttp2Session) => {
      const socket = this.accepting
      const kept = session as KeptSession
      if (socket !== null) {
        kept[kSocket] = socket
        kept[kIp] = socket.remoteAddress
      }
      kept[kRequests] = 0
      kept[kSwept] = 0
      kept[kQuietSince] = performance.now()
      this.sessions.add(session)
      session.once('close', () => this.sessions.delete(session))
      if (engine.draining) session.close()
      guardH2Session(session, limits, engine)
    })
    // errors of one session or stream (a reset, a protocol error) end only that session or stream
    this.server.on('sessionError', () => {})
    this.server.on('streamError', () => {})
  }

  /** The server closed: no more sweeps. */
  stop(): void {
    if (this.sweeper !== null) clearInterval(this.sweeper)
    this.sweeper = null
  }

  /** Hand a connection over to HTTP/2 (its first bytes, already read, go first). */
  accept(socket: Socket, first: Buffer | null): void {
    if (first !== null) socket.unshift(first)
    this.accepting = socket
    try {
      this.server.emit('connection', socket)
    } finally {
      this.accepting = null
    }
  }

  /**
   * Graceful: GOAWAY to every session (streams in flight finish), and a lingering close of connections
   * that have sent nothing yet (drain-socket.ts: a FIN, not the RST of bytes left unread); `force`
   * destroys both.
   */
  closeSessions(force: boolean): void {
    for (const s of this.undecided) {
      if (force) s.destroy()
      else lingerClose(s)
    }
    for (const s of this.sessions) {
      if (force) s.destroy()
      else s.close()
    }
  }
}

function sweepIdleSessions(h2: H2Side, idleMs: number): void {
  const now = performance.now()
  for (const session of h2.sessions) {
    const s = session as KeptSession
    const n = s[kRequests]
    if (n !== s[kSwept]) {
      s[kSwept] = n
      s[kQuietSince] = now
    } else if (now - s[kQuietSince] >= idleMs && !s.closed) s.close()
  }
}

/**
 * On the plain port: replace node's HTTP/1.1 connection listener by one that reads the first bytes and
 * chooses. `onHttp1` runs the engine's own per-connection setup for HTTP/1.1 sockets.
 */
export function sniffPlainConnections(
  server: Server,
  h2: H2Side,
  silentMs: () => number,
  onHttp1: (socket: Socket) => void,
): void {
  const http1 = server.listeners('connection')[0] as (this: Server, socket: Socket) => void
  server.removeListener('connection', http1)
  server.on('connection', (socket: Socket) => sniff(socket, server, http1, h2, silentMs(), onHttp1))
}

function sniff(
  socket: Socket,
  server: Server,
  http1: (this: Server, socket: Socket) => void,
  h2: H2Side,
  timeoutMs: number,
  onHttp1: (socket: Socket) => void,
): void {
  let got: Buffer | null = null
  // a client that connects and says nothing is dropped when an HTTP/1.1 connection would be (idle-sweep.ts)
  const timer = timeoutMs > 0 ? setTimeout(() => socket.destroy(), timeoutMs) : null
  const undecided = h2.undecided
  undecided.add(socket)
  const onData = (chunk: Buffer) => {
    got = got === null ? chunk : Buffer.concat([got, chunk])
    const n = Math.min(got.length, PREFACE.length)
    const h2ish = got.compare(PREFACE, 0, n, 0, n) === 0
    // the first bytes match the preface so far but are not all there yet: wait for more
    if (h2ish && n < PREFACE.length && got.length < PREFACE.length) return
    socket.removeListener('data', onData)
    socket.removeListener('error', onError)
    socket.removeListener('close', onClose)
    undecided.delete(socket)
    if (timer !== null) clearTimeout(timer)
    socket.pause()
    if (h2ish || got.subarray(0, 3).toString('latin1') === 'PRI') {
      // a malformed preface also goes to node:http2, which answers it with GOAWAY and closes
      h2.accept(socket, got)
      return
    }
    onHttp1(socket)
    http1.call(server, socket)
    // node's parser reads the socket from here on; the bytes already read are given to it first
    socket.emit('data', got)
    socket.resume()
  }
  const onClose = () => {
    if (timer !== null) clearTimeout(timer)
    undecided.delete(socket)
  }
  const onError = () => socket.destroy()
  socket.on('data', onData)
  socket.on('error', onError)
  socket.on('close', onClose)
}

/**
 * On the TLS port: node:https's listener for `http/1.1` (or no ALPN), node:http2's for `h2`.
 */
export function splitTlsConnections(server: Server, h2: H2Side): void {
  const http1 = server.listeners('secureConnection')[0] as (this: Server, socket: Socket) => void
  server.removeListener('secureConnection', http1)
  server.on('secureConnection', (socket: Socket & { alpnProtocol?: string | false }) => {
    if (socket.alpnProtocol === 'h2') h2.accept(socket, null)
    else http1.call(server, socket)
  })
}
