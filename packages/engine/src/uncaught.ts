import { triggerAsyncId } from 'node:async_hooks'
import type { IncomingMessage, Server } from 'node:http'
import type { Socket } from 'node:net'
import { wasStorage } from '@skitai/was'
import type { EngineCore } from './engine-core.js'
import type { SkitaiResponse } from './response.js'

/**
 * An exception thrown outside a request's promise chain (in a `setTimeout` callback of an Express handler,
 * an event listener, a promise nobody awaits) reaches the process, and Node's default is to exit, cutting
 * every request in flight. A server process (`skitai.run()` only, never `new Engine()` in tests or an
 * embedding program) logs it instead, answers the request it belongs to with 500 if that is still open,
 * and keeps serving, as Python Skitai does (an unhandled rejection is logged the same way).
 *
 * The trade-off (Node's docs warn that resuming after an uncaught exception is unsafe): state the failed
 * code was changing may be left half-done. The failure is confined to one request far more often than not,
 * and exiting would drop every other client; a supervisor (systemd, the worker master) still restarts a
 * process that really breaks. The request is found through the `was` the failing callback ran in
 * (AsyncLocalStorage carries it into timers and promises): its transaction id names the open response.
 * Without that store (a Saddle app with `asyncContext` off), through the callback's trigger id: a timer
 * or immediate set by the handler itself was created in the handler's scope (handler-scope.ts).
 */
export function installUncaughtHandlers(engine: EngineCore): void {
  process.on('uncaughtException', (err) => reportUncaught(engine, err, 'uncaught exception', true))
  process.on('unhandledRejection', (reason) => reportUncaught(engine, reason, 'unhandled rejection', false))
}

/**
 * Log the error with the transaction id of the request it escaped from. A thrown exception also answers
 * that request (the callback that threw was most likely the one that would have answered it); a rejected
 * promise nobody awaits is usually a side task, so its request is left to the handler, which goes on.
 */
export function reportUncaught(engine: EngineCore, err: unknown, what: string, answer: boolean): void {
  const w = wasStorage.getStore()
  let res = w === undefined || !answer ? null : openResponseOf(engine.server, w.gtxnid, w.ltxnid)
  if (res === null && answer) res = openResponseScheduledIn(engine.server, triggerAsyncId())
  try {
    if (res !== null) {
      // logged with the transaction id and answered (or cut, when the head is already out)
      engine.handlerFailed(err, res.req as IncomingMessage, res, res.skitaiCtx)
    } else {
      engine.log.appError(err, w === undefined ? '-' : `${w.gtxnid}/${w.ltxnid}`, what)
    }
    engine.log.flush()
  } catch (e) {
    // a throw in here would make Node exit at once (code 7): say so on stderr and keep going
    process.stderr.write(`skitai: could not report an ${what}: ${(e as Error)?.stack ?? e}\n`)
  }
}

/** The response of the request with these ids, while still open (searched only when an error escapes). */
function openResponseOf(server: Server | null, gtxnid: string, ltxnid: number): SkitaiResponse | null {
  if (server === null) return null
  for (const socket of openSockets(server)) {
    const res = (socket as any)._httpMessage as SkitaiResponse | null | undefined
    const ctx = res?.skitaiCtx
    if (res && ctx && ctx.gtxnid === gtxnid && ctx.ltxnid === ltxnid && !res.writableEnded) return res
  }
  return null
}

/** The open response of the request whose handler scope scheduled the failing callback. */
function openResponseScheduledIn(server: Server | null, trigger: number): SkitaiResponse | null {
  if (server === null || trigger <= 0) return null
  for (const socket of openSockets(server)) {
    const res = (socket as any)._httpMessage as SkitaiResponse | null | undefined
    if (res && res.skitaiCtx?.asyncId === trigger && !res.writableEnded) return res
  }
  return null
}

const socketSets = new WeakMap<Server, Set<Socket>>()

/** The open connections of a server (server.ts adds and removes them; per connection, not per request). */
export function connectionsOf(server: Server): Set<Socket> {
  let set = socketSets.get(server)
  if (set === undefined) {
    set = new Set()
    socketSets.set(server, set)
  }
  return set
}

function openSockets(server: Server): Iterable<Socket> {
  return socketSets.get(server) ?? []
}
