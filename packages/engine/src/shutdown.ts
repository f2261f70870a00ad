import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { isQuietConnection, isLingering, lingerAfterLastAnswer, lingerClose } from './drain-socket.js'
import type { EngineCore } from './engine-core.js'
import { h2SideOf } from './server.js'
import { connectionsOf } from './uncaught.js'

/**
 * Graceful shutdown of one server (README "Command line and shutdown"), what `engine.close(grace)` runs:
 * 1. **Settle** (`SETTLE_MS`). The server keeps serving as before for a moment: a request the client
 *    wrote before the signal may not have reached the server's socket when the signal is delivered (the
 *    kernel hands loopback and network packets over in its own time, later under load), and neither may
 *    a connection the client has just opened. (The resets and unanswered requests testers saw came from
 *    closing at once: node's `server.close()` closed every connection it deemed idle on the spot — one
 *    whose client had just sent its next request was cut, with a RST when the bytes were already there,
 *    and a response that was ended but not yet written out, such as a pipelined one held for one write,
 *    was lost with its connection; the listening socket's backlog was reset with it.)
 * 2. **Drain.** `engine.draining` is set: the last answer of each HTTP/1.1 connection carries
 *    `Connection: close` (drain-socket.ts), the listener closes, HTTP/2 sessions get GOAWAY (their
 *    streams in flight finish). Every 50 ms, a connection with nothing to answer that has read nothing
 *    since the last look gets a lingering close (drain-socket.ts).
 * 3. **Deadline.** `graceSeconds` after the call whatever is left (connections with an answer pending,
 *    HTTP/2 sessions, upgraded sockets) is cut, and the server log says how many.
 */
export const SETTLE_MS = 50

export function drainAndClose(
  engine: EngineCore,
  server: Server,
  graceSeconds: number,
  upgraded: Set<Duplex>,
): Promise<void> {
  return new Promise<void>((done) => {
    const open = connectionsOf(server)
    const h2 = h2SideOf(server)
    let sweep: NodeJS.Timeout | undefined
    const deadline = setTimeout(() => {
      const cut = [...open].filter((s) => !isLingering(s)).length + (h2?.sessions.size ?? 0) + upgraded.size
      if (cut > 0)
        engine.log.serverLog(
          'warn',
          `skitai: shutdown grace of ${graceSeconds} s is over: cutting ${cut} connection(s), ${engine.inFlight} request(s) unanswered`,
        )
      server.closeAllConnections()
      for (const s of open) s.destroy()
      h2?.closeSessions(true)
      // upgraded sockets (WebSocket) are no longer HTTP connections of the server: cut them too
      for (const s of upgraded) s.destroy()
    }, graceSeconds * 1000)
    const drain = () => {
      engine.draining = true
      // node's close() would first close every connection it deems idle, racing the requests just read
      // (see above): the sweep below does it instead
      const nodeCloseIdle = server.closeIdleConnections
      server.closeIdleConnections = noop
      server.close(() => {
        clearInterval(sweep)
        clearTimeout(deadline)
        done()
      })
      server.closeIdleConnections = nodeCloseIdle
      h2?.closeSessions(false)
      for (const s of open) lingerAfterLastAnswer(s)
      closeIdle(server, open)
      sweep = setInterval(closeIdle, 50, server, open)
    }
    // a grace shorter than the settle time (close(0): cut at once) shortens it
    setTimeout(drain, Math.min(SETTLE_MS, graceSeconds * 1000))
  })
}

function noop(): void {}

/**
 * Lingering close of every HTTP/1.1 connection that has nothing to answer and has gone quiet — decided
 * twice: the sweep's timer finds the candidates, an immediate closes those still quiet. After the event
 * loop stalled (a starved CPU), timers run before the sockets are read in the same turn, so bytes a client
 * wrote during the stall would not be counted yet and its requests, already received, would be lost with
 * the close (bench/workers.mjs `--busy`); the immediate comes after this turn's reads.
 */
function closeIdle(server: Server, open: Set<Socket>): void {
  const midHead = connectionsWithHeadArriving(server)
  let quiet: Socket[] | null = null
  for (const s of open) if (!isLingering(s) && isQuietConnection(s, midHead)) (quiet ??= []).push(s)
  if (quiet !== null) setImmediate(closeStillQuiet, server, quiet)
}

function closeStillQuiet(server: Server, sockets: Socket[]): void {
  const midHead = connectionsWithHeadArriving(server)
  for (const s of sockets) if (!isLingering(s) && isQuietConnection(s, midHead)) lingerClose(s)
}

/**
 * The connections whose next request has started to arrive (node's connection list: a parser whose
 * message has begun). An empty set when node keeps no such list (then a head being received counts as idle).
 */
function connectionsWithHeadArriving(server: Server): Set<Socket> {
  const out = new Set<Socket>()
  const list = connectionList(server)
  if (list === undefined) return out
  for (const parser of list.active()) if (parser.socket != null) out.add(parser.socket)
  return out
}

type ConnectionList = { active(): Array<{ socket?: Socket | null }> }

function connectionList(server: Server): ConnectionList | undefined {
  const key = Object.getOwnPropertySymbols(server).find((s) => s.description === 'http.server.connections')
  const list = key === undefined ? undefined : (server as unknown as Record<symbol, unknown>)[key]
  return typeof (list as ConnectionList | undefined)?.active === 'function' ? (list as ConnectionList) : undefined
}

/**
 * SIGTERM / SIGINT: graceful close (`engine.close()` with the engine's shutdown timeout), exit 0; exit 1
 * when it fails or takes 10 s longer than the timeout. Further signals are logged and change nothing: a
 * terminal's SIGINT to the process group and a supervisor's SIGTERM often come together, and the second
 * must not cut the answers the first is finishing (the deadline above bounds the wait).
 */
export function installShutdownSignals(engine: EngineCore & { readonly shutdownTimeout: number }): void {
  let started = false
  const onSignal = (signal: string) => {
    if (started) {
      engine.log.serverLog('info', `skitai: ${signal} received, already shutting down`)
      return
    }
    started = true
    engine.log.serverLog('info', `skitai: ${signal} received, finishing ${engine.inFlight} request(s) in flight`)
    // requests get the shutdown timeout (then their connections are cut); unmount hooks get 10 s more
    setTimeout(
      () => {
        process.stderr.write('skitai: shutdown did not finish in time, exiting\n')
        process.exit(1)
      },
      engine.shutdownTimeout * 1000 + 10_000,
    ).unref()
    engine.close().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`skitai: shutdown failed: ${e?.stack ?? e}\n`)
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}
