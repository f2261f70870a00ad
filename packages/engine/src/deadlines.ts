import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { HttpError } from '@skitai/was'
import { refuse } from './body.js'
import type { EngineCore } from './engine-core.js'
import type { SkitaiResponse } from './response.js'

/**
 * Deadlines checked by the connection sweep (idle-sweep.ts), so no request pays for a timer of its own
 * (README "Limits"):
 * - the **body deadline** (`setBodyTimeout`, default 300 s): the whole request body must have arrived
 *   this long after its head, however steadily it trickles (the idle timeout alone lets one byte every
 *   29 s hold a request forever);
 * - the **minimum body rate** (`pref().minBodyRate` bytes/s, default 512, averaged from the head once
 *   `pref().bodyRateGraceSeconds`, default 10, have passed);
 * - the **handler deadline** (`setHandlerTimeout`, default 60 s): a complete request whose response has
 *   not started this long after its body arrived gets 503 (a streaming response that has started, and an
 *   upgraded WebSocket connection, are exempt).
 * Each is checked once per sweep interval (at most a second), so it fires up to a second late.
 */

const kBodyStart = Symbol('skitai.bodyStart')
const kBodyBytes = Symbol('skitai.bodyBytes')
const kWaitRes = Symbol('skitai.waitRes')
const kWaitSince = Symbol('skitai.waitSince')

type Timed = IncomingMessage & { [kBodyStart]?: number; [kBodyBytes]?: number }
type Watched = Socket & { [kWaitRes]?: ServerResponse | null; [kWaitSince]?: number }

/** A request with a body is about to be handled: its body's clock starts now. */
export function startBodyClock(req: IncomingMessage): void {
  const r = req as Timed
  r[kBodyStart] = performance.now()
  r[kBodyBytes] = req.socket?.bytesRead ?? 0
}

/**
 * One connection in a sweep: refuse a body past its deadline or under the minimum rate (408, the
 * connection closed), and answer a handler past its deadline (503). True when the connection was dealt
 * with (the rest of the sweep skips it).
 */
export function checkDeadlines(engine: EngineCore, socket: Socket, now: number): boolean {
  const s = socket as Watched & { parser?: any; _httpMessage?: ServerResponse | null }
  const req = s.parser?.incoming as Timed | null | undefined
  if (req != null && !req.complete) {
    const start = req[kBodyStart]
    if (start === undefined) return false
    const why = bodyTooSlow(engine, s, req, now - start)
    if (why === null) return false
    const res = s._httpMessage
    if (res != null && res.req === req && !res.headersSent) refuse(res, new HttpError(408, why, { close: true }))
    else s.destroy()
    return true
  }
  const res = s._httpMessage
  const limit = engine.handlerTimeoutMs
  if (res == null || res.headersSent || res.writableEnded || limit <= 0 || !(res.req as IncomingMessage).complete) {
    s[kWaitRes] = null
    return false
  }
  if (s[kWaitRes] !== res) {
    s[kWaitRes] = res
    s[kWaitSince] = now
    return false
  }
  if (now - (s[kWaitSince] as number) < limit) return false
  s[kWaitRes] = null
  const err = new HttpError(503, `handler timeout: no answer within ${limit / 1000} s`)
  engine.handlerFailed(err, res.req as IncomingMessage, res, (res as SkitaiResponse).skitaiCtx ?? null)
  return true
}

function bodyTooSlow(engine: EngineCore, s: Socket, req: Timed, elapsed: number): string | null {
  const deadline = engine.bodyTimeoutMs
  if (deadline > 0 && elapsed >= deadline)
    return `request body timeout: the body did not arrive within ${deadline / 1000} s`
  const { minBodyRate, bodyRateGraceSeconds } = engine.prefs
  if (minBodyRate <= 0 || elapsed < bodyRateGraceSeconds * 1000) return null
  const rate = (s.bytesRead - (req[kBodyBytes] as number)) / (elapsed / 1000)
  if (rate >= minBodyRate) return null
  return `request body too slow: ${Math.round(rate)} bytes/s, the minimum is ${minBodyRate} bytes/s`
}
