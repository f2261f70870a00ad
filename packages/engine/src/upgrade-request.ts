import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { EngineCore } from './engine-core.js'
import { matchEntry } from './mounts.js'
import { handleRequest, originForm } from './pipeline.js'
import { EngineRequestContext } from './request-context.js'
import { SkitaiResponse } from './response.js'
import { ltxnIdOf } from './txn.js'
import { stopCoalescing } from './write-coalescing.js'
import { WebSocketUpgrade } from './ws-upgrade.js'

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
