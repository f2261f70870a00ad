import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Duplex } from 'node:stream'
import type { Engine } from './engine.js'
import {
  handleCheckContinue,
  handleClientError,
  handleConnect,
  handleRequest,
  handleTimeout,
  handleUpgrade,
} from './pipeline.js'
import { IdleSweep } from './idle-sweep.js'
import { SkitaiRequest } from './incoming.js'
import { SkitaiResponse } from './response.js'
import { connectionsOf } from './uncaught.js'
import { coalesceWrites } from './write-coalescing.js'

/** The engine's node:http server: its timeouts and the events wired to the request pipeline. */
export function createHttpServer(
  engine: Engine,
  t: { keepAliveMs: number; headersTimeoutMs: number; requestTimeoutMs: number },
): Server {
  const server = createServer({
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
  })
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
  server.on('connection', (socket: Socket) => {
    if (engine.prefs.coalescePipelinedWrites && (socket as TLSSocket).encrypted !== true) coalesceWrites(socket)
    engine.connections++
    open.add(socket)
    engine.addresses.open(socket, engine.prefs.maxConnectionsPerAddress)
    socket.once('close', () => {
      engine.connections--
      open.delete(socket)
      engine.addresses.close(socket)
    })
  })
  return server
}

const kIdleSweep = Symbol('skitai.idleSweep')
type SweptServer = Server & { [kIdleSweep]?: IdleSweep }

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

/**
 * Stop accepting and wait for the connections to end: idle keep-alive connections are closed at once and
 * then swept every 50 ms as busy ones become idle (a single sweep would miss a connection whose response
 * finishes later and re-arms its keep-alive); after `graceSeconds` whatever is left is cut, upgraded
 * sockets included.
 */
export function drainAndClose(server: Server, graceSeconds: number, upgraded: Set<Duplex>): Promise<void> {
  return new Promise<void>((done) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50)
    const deadline = setTimeout(() => {
      server.closeAllConnections()
      // upgraded sockets (WebSocket) are no longer HTTP connections of the server: cut them too
      for (const s of upgraded) s.destroy()
    }, graceSeconds * 1000)
    server.close(() => {
      clearInterval(sweep)
      clearTimeout(deadline)
      done()
    })
    server.closeIdleConnections()
  })
}

/** SIGTERM / SIGINT: graceful close, exit 0 (1 when it fails or takes longer than 20 s). */
export function installShutdownSignals(engine: Engine): void {
  const onSignal = (signal: string) => {
    engine.log.serverLog('info', `skitai: ${signal} received, finishing ${engine.inFlight} request(s) in flight`)
    // requests get 10 s (then their connections are cut); unmount hooks get a few more, then we go anyway
    setTimeout(() => {
      process.stderr.write('skitai: shutdown did not finish in time, exiting\n')
      process.exit(1)
    }, 20_000).unref()
    engine.close().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`skitai: shutdown failed: ${e?.stack ?? e}\n`)
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
}
