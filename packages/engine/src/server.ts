import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { EngineCore } from './engine-core.js'
import { handleClientError } from './client-errors.js'
import { handleCheckContinue } from './expect-continue.js'
import { handleRequest } from './pipeline.js'
import { handleConnect, handleUpgrade } from './upgrade-request.js'
import { H2Side, sniffPlainConnections, splitTlsConnections } from './http2-server.js'
import type { H2Limits } from './http2-limits.js'
import { handleTimeout, IdleSweep, KEEP_ALIVE_GRACE_MS } from './idle-sweep.js'
import { readTlsFiles, type TlsFiles } from './tls.js'
import { SkitaiRequest } from './incoming.js'
import { SkitaiResponse } from './response.js'
import { connectionsOf } from './uncaught.js'
import { joinResponseWrites } from './tls-writes.js'
import { coalesceWrites } from './write-coalescing.js'

export interface ServerSettings {
  keepAliveMs: number
  headersTimeoutMs: number
  requestTimeoutMs: number
  /** HTTP/2 beside HTTP/1.1 (h2c by preface on the plain port, h2 by ALPN with TLS); null: off. */
  http2: H2Limits | null
  /** The certificate and key of `enableSsl`; null: plain HTTP. */
  tls: TlsFiles | null
}

/**
 * The engine's node:http (node:https with TLS) server: its timeouts and the events wired to the request
 * pipeline; with HTTP/2 on, a node:http2 side that shares the listening socket (http2-server.ts).
 */
export function createHttpServer(engine: EngineCore, t: ServerSettings): Server {
  const options = {
    IncomingMessage: SkitaiRequest,
    ServerResponse: SkitaiResponse as unknown as typeof ServerResponse,
    // no keep-alive socket timer: the sweep below closes idle connections (idle-sweep.ts); handleRequest
    // still advertises the engine's keep-alive time in the Keep-Alive header
    keepAliveTimeout: 0,
    headersTimeout: t.headersTimeoutMs,
    // the whole-request deadline is off: slow clients are caught by the idle timeout below instead
    requestTimeout: 0,
    // how often node checks the headers timeout (its default, 30 s, would make a 20 s timeout up to 50 s)
    connectionsCheckingInterval: 1000,
  }
  const tls = t.tls
  const server: Server =
    tls === null
      ? createServer(options)
      : (createHttpsServer({
          ...options,
          ...readTlsFiles(tls),
          ALPNProtocols: t.http2 === null ? ['http/1.1'] : ['h2', 'http/1.1'],
          // a client that opens a TCP connection and never completes the handshake
          handshakeTimeout: t.headersTimeoutMs,
        }) as unknown as Server)
  // no socket timers (server.timeout, keepAliveTimeout): both timeouts are a sweep (idle-sweep.ts), see there why
  server.on('request', (req: IncomingMessage, res: ServerResponse) => handleRequest(engine, req, res))
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => handleCheckContinue(engine, req, res))
  server.on('clientError', (err: Error, socket) => handleClientError(engine, err, socket as any))
  // keep-alive timeouts (node's own socket timer between requests) come here
  server.on('timeout', handleTimeout)
  server.on('connect', (req: IncomingMessage, socket) => handleConnect(engine, req, socket as Socket))
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => handleUpgrade(engine, req, socket as any, head))
  const open = connectionsOf(server)
  // a client that half-closes after its request still gets the answer (node would end the socket at once,
  // cutting any response not written synchronously); the response closes the connection when it is done
  ;(server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true
  const idle = new IdleSweep(open, t.requestTimeoutMs, t.keepAliveMs, engine)
  server.once('close', () => idle.stop())
  ;(server as SweptServer)[kIdleSweep] = idle
  const coalesce = engine.prefs.coalescePipelinedWrites && tls === null
  // counted for both protocols; the sweep and write coalescing are for HTTP/1.1 connections only
  const count = (socket: Socket) => {
    engine.connections++
    engine.addresses.open(socket, engine.prefs.maxConnectionsPerAddress)
    socket.once('close', () => {
      engine.connections--
      engine.addresses.close(socket)
    })
  }
  const http1Setup = (socket: Socket) => {
    if (coalesce && (socket as TLSSocket).encrypted !== true) coalesceWrites(socket)
    else if ((socket as TLSSocket).encrypted === true) joinResponseWrites(socket as TLSSocket)
    open.add(socket)
    socket.once('close', () => open.delete(socket))
  }
  if (t.http2 === null || tls !== null) {
    server.on('connection', (socket: Socket) => {
      count(socket)
      if (tls === null) http1Setup(socket)
    })
    if (tls !== null)
      server.on('secureConnection', (socket: Socket) => {
        engine.addresses.adopt(socket)
        // an h2 connection (ALPN) is its session's (http2-server.ts): not an HTTP/1.1 connection of the
        // idle sweep and the drain, which would count it twice when cutting at the end of a shutdown
        if ((socket as TLSSocket).alpnProtocol !== 'h2') http1Setup(socket)
      })
  }
  if (t.http2 !== null) {
    const h2 = new H2Side(engine, t.http2, t.keepAliveMs > 0 ? t.keepAliveMs + KEEP_ALIVE_GRACE_MS : 0)
    ;(server as SweptServer)[kH2] = h2
    server.once('close', () => h2.stop())
    if (tls === null) {
      server.on('connection', count)
      // silent connections: the sooner of the keep-alive time (plus its grace) and the headers timeout
      const silentMs = () => {
        const k = engine.keepAliveMs > 0 ? engine.keepAliveMs + KEEP_ALIVE_GRACE_MS : Infinity
        const h = server.headersTimeout > 0 ? server.headersTimeout : Infinity
        const ms = Math.min(k, h)
        return ms === Infinity ? 0 : ms
      }
      sniffPlainConnections(server, h2, silentMs, http1Setup)
    } else splitTlsConnections(server, h2)
  }
  return server
}

const kH2 = Symbol('skitai.h2')

const kIdleSweep = Symbol('skitai.idleSweep')
type SweptServer = Server & { [kIdleSweep]?: IdleSweep; [kH2]?: H2Side }

/** The HTTP/2 side of a server, when it has one. */
export function h2SideOf(server: Server): H2Side | undefined {
  return (server as SweptServer)[kH2]
}

/** Change the request timeout of a running server. */
export function setRequestTimeoutOf(server: Server, ms: number): void {
  ;(server as SweptServer)[kIdleSweep]?.setRequestTimeout(ms)
}

/** A deadline setting changed (body, handler, minimum body rate): the sweep re-reads them. */
export function deadlinesChanged(server: Server): void {
  ;(server as SweptServer)[kIdleSweep]?.restart()
}

/** Change the keep-alive timeout of a running server. */
export function setKeepAliveOf(server: Server, ms: number): void {
  ;(server as SweptServer)[kIdleSweep]?.setKeepAlive(ms)
}
