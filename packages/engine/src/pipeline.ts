import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { isOverConnectionCap, recordOf } from './address-caps.js'
import { guardChunkedBody, refuse, tooLarge } from './body.js'
import { startBodyClock } from './deadlines.js'
import type { EngineCore } from './engine-core.js'
import { sendError } from './error-page.js'
import { type AppTarget, type MountEntry, matchEntry } from './mounts.js'
import { isPastLastAnswer } from './drain-socket.js'
import { EngineRequestContext } from './request-context.js'
import type { SkitaiRequest } from './incoming.js'
import { reportsClose, responseClosed, type SkitaiResponse } from './response.js'
import { scanHead } from './request-head.js'
import { ltxnIdOf } from './txn.js'
import type { CoalescingSocket } from './write-coalescing.js'

/**
 * The per-request path: socket → mount table → target, and the response's 'close' for bookkeeping.
 * Module-level functions with the engine passed in: no closures per request on the common path.
 * The events around it have files of their own: upgrades and CONNECT (upgrade-request.ts),
 * `Expect: 100-continue` (expect-continue.ts), requests node could not parse (client-errors.ts).
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
 * `http://host/path?q` (absolute form) → `/path?q`; anything else that is not origin form, and an absolute
 * form whose authority is not a valid host (`http://[::1`), → null.
 */
export function originForm(url: string): string | null {
  const m = /^https?:\/\/[^/?#]*/i.exec(url)
  if (m === null) return null
  // absolute form is rare (proxies, some clients): the WHATWG parser checks the authority
  if (!URL.canParse(m[0])) return null
  const rest = url.slice(m[0].length)
  return rest.length === 0 || rest.charCodeAt(0) === 63 ? `/${rest}` : rest
}
