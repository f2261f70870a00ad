import { IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { isOverConnectionCap, recordOf } from './address-caps.js'
import { contentLengthOf, guardChunkedBody, refuse, tooLarge } from './body.js'
import { startBodyClock } from './deadlines.js'
import type { EngineCore } from './engine-core.js'
import { sendError } from './error-page.js'
import { type AppTarget, type MountEntry, matchEntry } from './mounts.js'
import { isPastLastAnswer } from './drain-socket.js'
import { EngineRequestContext } from './request-context.js'
import type { SkitaiRequest } from './incoming.js'
import { reportsClose, responseClosed, SkitaiResponse } from './response.js'
import { scanHead } from './request-head.js'
import { ltxnIdOf } from './txn.js'
import { type CoalescingSocket, stopCoalescing } from './write-coalescing.js'
import { WebSocketUpgrade } from './ws-upgrade.js'

/**
 * The per-request path: socket → mount table → target, and the response's 'close' for bookkeeping.
 * Module-level functions with the engine passed in: no closures per request on the common path.
 */

type Res = ServerResponse & Partial<Pick<SkitaiResponse, 'skitaiCtx' | 'skitaiHeadTime' | 'skitaiSeq'>>

export function handleRequest(engine: EngineCore, req: IncomingMessage, res: Res, awaitingContinue?: boolean): void {
  if (engine.draining && holdWhileDraining(engine, req, res, awaitingContinue)) return
  serveRequest(engine, req, res, awaitingContinue)
}

/**
 * While the server drains (shutdown.ts, drain-socket.ts), an HTTP/1.1 request is served one turn later:
 * node hands over the requests of one read one by one, and a handler answering at once would see no
 * request queued behind its own and close the connection before the rest of that read — pipelined
 * requests already received — was parsed. A request after the connection's last answer is not taken.
 */
function holdWhileDraining(engine: EngineCore, req: IncomingMessage, res: Res, awaitingContinue?: boolean): boolean {
  const socket = req.socket as Socket & { parser?: unknown }
  // HTTP/2 streams, and requests answered on a socket node has let go of (upgrade, CONNECT)
  if (req.httpVersionMajor !== 1 || socket == null || socket.parser == null) return false
  if (!isPastLastAnswer(socket)) setImmediate(serveRequest, engine, req, res, awaitingContinue)
  return true
}

function serveRequest(engine: EngineCore, req: IncomingMessage, res: Res, awaitingContinue?: boolean): void {
  const prefs = engine.prefs
  let url = req.url as string
  /** Answered by the engine itself, before any mount (see answerEarly); EARLY_NONE for the usual case. */
  let early = EARLY_NONE
  if (url.charCodeAt(0) !== 47 /* / */) {
    if (url === '*' && req.method === 'OPTIONS') early = EARLY_OPTIONS
    else {
      const fixed = originForm(url)
      if (fixed === null) early = EARLY_BAD_TARGET
      else {
        url = fixed
        req.url = url
      }
    }
  }
  // `GET /` without a version (HTTP/0.9) and HTTP/2.0 in an HTTP/1 request line: answered 505, closed
  // (a real HTTP/2 stream comes as an Http2ServerRequest, which has `stream`)
  if (req.httpVersionMajor !== 1 && (req.httpVersionMajor !== 2 || (req as { stream?: unknown }).stream === undefined))
    early = EARLY_VERSION
  const head = scanHead(req.rawHeaders)
  // two Host headers could route by one and be read by the app (or a backend) as the other (RFC 9112 §3.2)
  if (head.hosts > 1) early = EARLY_HOSTS
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  const mounts = engine.mounts
  const entry = early !== EARLY_NONE ? null : (mounts.rootOnly ?? matchEntry(mounts.tableForHost(head.host), path))
  const cl = head.contentLength
  const point = entry === null ? '' : entry.point
  // the clock is read only for requests that get a log line or are counted in the metrics (its readers)
  const logged = engine.log.isLogged(path)
  const ctx = new EngineRequestContext(
    point,
    point.length === 0 ? path : path.slice(point.length),
    q < 0 ? '' : url.slice(q + 1),
    head.gtxnid,
    ltxnIdOf(head.ltxnid),
    logged || engine.stats !== null ? performance.now() : 0,
    prefs.maxClientBodySize,
    Math.max(cl, 0),
    cl > 0 || head.chunked,
    head.origin,
    head.acceptEncoding,
    head.conditional,
    engine,
    logged,
  )
  // every request, refused ones included, is counted and gets its log line when its response closes
  res.skitaiCtx = ctx
  // node's keep-alive timer is off (idle-sweep.ts closes idle connections): this keeps its header,
  // `Keep-Alive: timeout=N`, which node writes from this field
  ;(res as ServerResponse & { _keepAliveTimeout: number })._keepAliveTimeout = engine.keepAliveMs
  // numbered per connection: a response whose number is not the newest has pipelined requests behind it
  // (write-coalescing.ts)
  const conn = (req as SkitaiRequest).skitaiSocket ?? req.socket
  const socket = conn as Partial<CoalescingSocket>
  if (socket.skitaiSeq !== undefined) res.skitaiSeq = ++socket.skitaiSeq
  engine.inFlight++
  const address = recordOf(conn)
  if (address !== undefined) {
    address.inFlight++
    ctx.address = address
  }
  if (!reportsClose(res)) res.on('close', onResponseClose)
  else (req as SkitaiRequest).skitaiRes = res
  if (address !== undefined && overAddressCap(engine, req, res, conn, address.inFlight)) return
  if (engine.inFlight > prefs.maxInFlight) {
    sendError(req, res, 503, 'the server is over capacity: try again later', {
      headers: { 'Retry-After': String(engine.retryAfter) },
    })
    return
  }
  if (early !== EARLY_NONE) {
    answerEarly(req, res, early)
    return
  }
  if (entry === null) {
    sendError(req, res, 404, 'nothing is mounted at this path')
    return
  }
  if (cl > ctx.maxBodySize) {
    // a client waiting for 100 Continue has not sent the body: no need to close the connection
    if (awaitingContinue === true) sendError(req, res, 413, tooLarge(ctx.maxBodySize).message)
    else refuse(res, tooLarge(ctx.maxBodySize))
    return
  }
  if (cl < 0 && head.chunked) guardChunkedBody(req, res, ctx.maxBodySize, ctx)
  if (ctx.hasBody && !req.complete) startBodyClock(req)
  dispatch(engine, entry, req, res, ctx)
}

/**
 * One client address over its share (README "Limits"): a connection opened beyond
 * `maxConnectionsPerAddress` (429, closed), or more than `maxInFlightPerAddress` requests in flight (429).
 */
function overAddressCap(
  engine: EngineCore,
  req: IncomingMessage,
  res: ServerResponse,
  conn: Socket,
  inFlight: number,
): boolean {
  const prefs = engine.prefs
  let message: string
  if (isOverConnectionCap(conn))
    message = `too many connections from your address: the limit is ${prefs.maxConnectionsPerAddress}`
  else if (prefs.maxInFlightPerAddress > 0 && inFlight > prefs.maxInFlightPerAddress)
    message = `too many requests in flight from your address: the limit is ${prefs.maxInFlightPerAddress}`
  else return false
  sendError(req, res, 429, message, { headers: { 'Retry-After': String(engine.retryAfter) }, close: true })
  return true
}

const EARLY_NONE = 0
const EARLY_OPTIONS = 1
const EARLY_BAD_TARGET = 2
const EARLY_HOSTS = 3
const EARLY_VERSION = 4

/** `OPTIONS *` (a question about the server itself) → 204; a target that is neither path nor URL, or
 * more than one Host header → 400 and close. */
function answerEarly(req: IncomingMessage, res: ServerResponse, early: number): void {
  if (early === EARLY_OPTIONS) {
    res.writeHead(204, { Allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS' })
    res.end()
    return
  }
  if (req.method === 'CONNECT') {
    sendError(req, res, 405, 'CONNECT is not supported: this server is not a forward proxy', {
      headers: { Allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS' },
      close: true,
    })
    return
  }
  if (early === EARLY_VERSION) {
    sendError(req, res, 505, `HTTP version not supported: ${req.httpVersion} (this server speaks HTTP/1.0 and 1.1)`, {
      close: true,
    })
    return
  }
  const message =
    early === EARLY_HOSTS
      ? 'bad request: more than one Host header'
      : `bad request target: ${(req.url as string).slice(0, 100)}`
  sendError(req, res, 400, message, { close: true })
}

function dispatch(
  engine: EngineCore,
  entry: MountEntry,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: EngineRequestContext,
): void {
  const app = entry.app
  const stat = entry.static
  if (stat === null) {
    runApp(engine, app as AppTarget, req, res, ctx)
    return
  }
  // static first; next() when no file is there (the only per-request closure, and only on static mounts)
  const next = app === null ? () => sendError(req, res, 404, 'no such file') : () => runApp(engine, app, req, res, ctx)
  try {
    stat.serve(req, res, ctx.path, next)
  } catch (e) {
    engine.handlerFailed(e, req, res, ctx)
  }
}

function runApp(
  engine: EngineCore,
  app: AppTarget,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: EngineRequestContext,
): void {
  let r: unknown
  try {
    r = app.handle(req, res, ctx)
  } catch (e) {
    engine.handlerFailed(e, req, res, ctx)
    return
  }
  if (r !== undefined && r !== null && typeof (r as Promise<unknown>).then === 'function') {
    ;(r as Promise<unknown>).then(undefined, (e) => engine.handlerFailed(e, req, res, ctx))
  }
}

function onResponseClose(this: Res): void {
  responseClosed(this)
}

/**
 * An `Upgrade` request (WebSocket, h2c …). A target that can upgrade (a Skitai app with `upgrade`, an
 * '@alias' proxy) gets the socket; otherwise the request is answered as a plain HTTP request on that
 * socket — as Node would without an 'upgrade' listener — and the connection is closed afterwards.
 */
export function handleUpgrade(engine: EngineCore, req: IncomingMessage, socket: Socket, head: Buffer): void {
  stopCoalescing(socket)
  socket.on('error', ignoreError)
  let url = req.url as string
  if (url.charCodeAt(0) !== 47) url = originForm(url) ?? '/'
  req.url = url
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  const mounts = engine.mounts
  const entry = mounts.rootOnly ?? matchEntry(mounts.tableForHost(req.headers.host), path)
  const target = entry?.app ?? null
  const upgrade = target?.upgrade ?? null
  if (entry !== null && upgrade !== null && !engine.closing) {
    const point = entry.point
    // a WebSocket handshake to an app is logged (a refusal as a request, an accepted one per session)
    const ws = target!.kind === 'skitai' && isWebSocketUpgrade(req)
    const logged = ws && engine.log.isLogged(path)
    const ctx = new EngineRequestContext(
      point,
      point.length === 0 ? path : path.slice(point.length),
      q < 0 ? '' : url.slice(q + 1),
      first(req.headers['x-gtxn-id']),
      ltxnIdOf(first(req.headers['x-ltxn-id'])),
      performance.now(),
      engine.prefs.maxClientBodySize,
      0,
      false,
      req.headers.origin !== undefined,
      undefined,
      false,
      engine,
      logged,
    )
    try {
      const control = ws ? new WebSocketUpgrade(engine, req, socket, head, ctx) : undefined
      if (upgrade(req, socket, head, ctx, control)) {
        engine.trackUpgraded(socket)
        return
      }
    } catch (e) {
      engine.log.appError(e, `${ctx.gtxnid}/${ctx.ltxnid}`, `upgrade ${req.method} ${url}`)
      if (socket.writable)
        socket.end('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
      socket.destroy()
      return
    }
    if ((socket as any).destroyed || !socket.writable) return
  }
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
    // the parser has let go of this socket: a body cannot be read any more
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
    return
  }
  answerOnSocket(engine, req, socket)
}

/**
 * `CONNECT host:port` (a forward-proxy tunnel, which Skitai is not): without a 'connect' listener Node
 * would drop the connection without a word; answer 405 through the pipeline (logged) and close.
 */
export function handleConnect(engine: EngineCore, req: IncomingMessage, socket: Socket): void {
  stopCoalescing(socket)
  socket.on('error', ignoreError)
  answerOnSocket(engine, req, socket)
}

/** Answer a request whose socket Node has let go of (upgrade, CONNECT) as plain HTTP, then close. */
function answerOnSocket(engine: EngineCore, req: IncomingMessage, socket: Socket): void {
  const res = new SkitaiResponse(req)
  res.shouldKeepAlive = false
  res.assignSocket(socket)
  res.on('finish', endUpgradeSocket)
  handleRequest(engine, req, res)
}

/** The response is written: close the connection (its 'close' closes the response, for the log). */
function endUpgradeSocket(this: ServerResponse): void {
  this.socket?.end()
}

function ignoreError(): void {}

function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const u = req.headers.upgrade
  return u !== undefined && u.toLowerCase() === 'websocket'
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

/**
 * `http://host/path?q` (absolute form) → `/path?q`; anything else that is not origin form, and an absolute
 * form whose authority is not a valid host (`http://[::1`), → null.
 */
function originForm(url: string): string | null {
  const m = /^https?:\/\/[^/?#]*/i.exec(url)
  if (m === null) return null
  // absolute form is rare (proxies, some clients): the WHATWG parser checks the authority
  if (!URL.canParse(m[0])) return null
  const rest = url.slice(m[0].length)
  return rest.length === 0 || rest.charCodeAt(0) === 63 ? `/${rest}` : rest
}

/** `Expect: 100-continue`: send 100 and go on, unless the declared body is over the limit (413, no 100). */
export function handleCheckContinue(engine: EngineCore, req: IncomingMessage, res: ServerResponse): void {
  if (contentLengthOf(req) > engine.prefs.maxClientBodySize) {
    handleRequest(engine, req, res, true)
    return
  }
  continueOnRead(req, res)
  handleRequest(engine, req, res)
}

const nodeRead = (IncomingMessage.prototype as any)._read as (n: number) => void

/**
 * Send `100 Continue` only when someone starts reading the body: an app that refuses it first (its own
 * lower limit, a failed auth check) answers instead of the 100, and the client never sends the body.
 */
function continueOnRead(req: IncomingMessage, res: ServerResponse): void {
  const r = req as IncomingMessage & { _read: (n: number) => void }
  r._read = function readAfterContinue(this: IncomingMessage, n: number): void {
    r._read = nodeRead
    if (!res.headersSent && !res.writableEnded) res.writeContinue()
    nodeRead.call(this, n)
  }
}

const CLIENT_ERROR_STATUS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  HPE_HEADERS_TIMEOUT: [408, 'Request Timeout'],
}

/** A request Node could not parse: 400 (431, 408) with the reason, then the connection is closed. */
export function handleClientError(
  engine: EngineCore,
  err: Error & { code?: string; reason?: string },
  socket: Socket,
): void {
  const busy = (socket as any)._httpMessage as ServerResponse | null | undefined
  const why = (err.reason ?? err.message ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 200)
  const gone = err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE' || !socket.writable
  if (!gone && busy && !busy.headersSent && busy.req && !busy.req.complete) {
    // the body of the request being handled is malformed (a bad chunk size …): that request gets the 400
    engine.log.serverLog('warn', `client error from ${socket.remoteAddress ?? '-'}: ${err.code ?? ''} ${why}`)
    sendError(busy.req, busy, 400, `bad request body: ${why}`, { close: true })
    // the parser is dead, so the body never ends: the request is aborted (its readers clean up, the
    // upload's temporary files go) once the 400 had time to leave
    setTimeout(abortRequest, 2000, socket, busy.req).unref()
    return
  }
  // a client gone mid-body, or a response pending on this connection (a raw 400 would be read as its
  // answer): just close; the request in progress is aborted with it
  if (gone || busy) {
    socket.destroy()
    return
  }
  const [status, reason] = CLIENT_ERROR_STATUS[err.code ?? ''] ?? [400, 'Bad Request']
  const body = `${status} ${reason}: ${why}\n`
  engine.log.serverLog('warn', `client error from ${socket.remoteAddress ?? '-'}: ${err.code ?? ''} ${why}`)
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
  setTimeout(destroySocket, 2000, socket).unref()
}

function destroySocket(socket: Socket): void {
  socket.destroy()
}

function abortRequest(socket: Socket, req: IncomingMessage): void {
  if (!req.destroyed) req.destroy()
  socket.destroy()
}

/**
 * A socket was idle for the request timeout (or the keep-alive timeout ran out). Drop it when the client
 * is the slow side: sending its request body, not reading our response, or idle between requests. Keep
 * it when the request is complete and only the handler is still working (that is not the client's fault).
 */
export function handleTimeout(socket: Socket): void {
  const req = (socket as any).parser?.incoming as IncomingMessage | undefined
  const res = (socket as any)._httpMessage as ServerResponse | null | undefined
  if (req !== undefined && req !== null && !req.complete) {
    socket.destroy()
    return
  }
  if (res !== undefined && res !== null && !res.writableEnded && socket.writableLength === 0) return
  socket.destroy()
}
