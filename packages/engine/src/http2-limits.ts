import {
  constants,
  type Http2Server,
  type Http2Session,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2'
import type { EngineCore } from './engine-core.js'

/**
 * HTTP/2 limits and flood protection (README "HTTP/2 limits"). node:http2 (nghttp2) brings most of it:
 * SETTINGS_MAX_CONCURRENT_STREAMS (a stream over it is refused with RST_STREAM REFUSED_STREAM), a bound
 * on the header fields (`maxHeaderListPairs`) and on the session's memory
 * (`maxSessionMemory`: new streams are refused when it is reached), and nghttp2's own flood detection
 * (a peer that sends PING or SETTINGS faster than it reads the acknowledgements is cut off when too many
 * are queued; tested in engine/test/http2-hostile.test.ts). It advertises SETTINGS_MAX_HEADER_LIST_SIZE
 * but does not enforce it: `guardStreams` does. And it lacks a rule for the rapid-reset pattern (CVE-2023-44487) seen as the
 * server's application: every stream opened and reset at once still makes node build a request and run
 * the handler. A session whose client resets more than `maxResetsPerSecond` streams it opened gets
 * GOAWAY ENHANCE_YOUR_CALM and is closed; other sessions are not touched.
 */
export interface H2Limits {
  /** Streams a client may have open at once on one connection (default 100). */
  maxConcurrentStreams: number
  /** Largest request header block, bytes (default 64 KiB). */
  maxHeaderListSize: number
  /** Most header fields in one request (default 256). */
  maxHeaderListPairs: number
  /** Memory of one session, MB (default 10, node's own default). */
  maxSessionMemoryMb: number
  /** Client resets of streams tolerated per second on one session (default 200). */
  maxResetsPerSecond: number
}

export const DEFAULT_H2_LIMITS: H2Limits = {
  maxConcurrentStreams: 100,
  maxHeaderListSize: 64 * 1024,
  maxHeaderListPairs: 256,
  maxSessionMemoryMb: 10,
  maxResetsPerSecond: 200,
}

/** Check and merge `skitai.setHttp2Limits({...})` values. */
export function mergeH2Limits(base: H2Limits, patch: Partial<H2Limits>): H2Limits {
  const out = { ...base }
  for (const key of Object.keys(patch) as (keyof H2Limits)[]) {
    if (!(key in DEFAULT_H2_LIMITS)) throw new TypeError(`setHttp2Limits: unknown limit '${key}'`)
    const v = patch[key]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new TypeError(`setHttp2Limits: ${key} must be an integer >= 1, got ${v}`)
    out[key] = v
  }
  return out
}

const kResets = Symbol('skitai.h2resets')
const kWindow = Symbol('skitai.h2window')
const kGuard = Symbol('skitai.h2guard')
type GuardedSession = ServerHttp2Session & {
  [kResets]?: number
  [kWindow]?: number
  [kGuard]?: { limits: H2Limits; engine: EngineCore }
}

export function guardH2Session(session: ServerHttp2Session, limits: H2Limits, engine: EngineCore): void {
  const s = session as GuardedSession
  s[kResets] = 0
  s[kWindow] = 0
  s[kGuard] = { limits, engine }
}

type StreamListener = (stream: ServerHttp2Stream, headers: object, flags: number, rawHeaders: string[]) => void
/** A listener that may take the stream itself (true) instead of node's compatibility layer (http2-lean.ts). */
type StreamListenerTaking = (stream: ServerHttp2Stream, headers: object, flags: number, rawHeaders: string[]) => boolean

/**
 * Put the checks in front of node's own 'stream' listener (the one that builds the compatibility
 * request): a header list over `maxHeaderListSize` (counted as RFC 9113 §6.5.2 does: name + value + 32
 * per field; nghttp2 only advertises the setting) is answered 431 without reaching the mounts. `lean`
 * may take a stream before node's compatibility request is built for it (http2-lean.ts).
 */
export function guardStreams(
  server: Http2Server<any, any, any, any>,
  limits: H2Limits,
  lean: StreamListenerTaking | null = null,
): void {
  const compat = server.listeners('stream')[0] as StreamListener
  server.removeListener('stream', compat)
  const max = limits.maxHeaderListSize
  server.on(
    'stream',
    function onStream(this: unknown, stream: ServerHttp2Stream, headers: object, flags: number, rawHeaders: string[]) {
      let size = 0
      for (let i = 0; i < rawHeaders.length; i++) size += (rawHeaders[i] as string).length
      size += 16 * rawHeaders.length
      if (size > max) {
        refuseHeaders(stream, size, max)
        return
      }
      if (lean === null || !lean(stream, headers, flags, rawHeaders))
        compat.call(this, stream, headers, flags, rawHeaders)
    },
  )
}

function refuseHeaders(stream: ServerHttp2Stream, size: number, max: number): void {
  const body = `431 Request Header Fields Too Large: the header list is ${size} bytes, over the limit of ${max}\n`
  stream.on('error', () => {})
  if (stream.destroyed) return
  stream.respond({
    ':status': 431,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  })
  stream.end(body)
}

/**
 * A request's stream was reset by the client before its response was complete (SkitaiH2Request's
 * 'aborted', http2-response.ts: seen through `emit`, so no listener is added per stream).
 */
export function streamAborted(session: Http2Session | undefined): void {
  const s = session as GuardedSession | undefined
  if (s?.[kGuard] !== undefined) onReset(s, s[kGuard].limits, s[kGuard].engine)
}

/** A stream the client reset before its response was complete. */
function onReset(s: GuardedSession, limits: H2Limits, engine: EngineCore): void {
  const now = Math.floor(performance.now() / 1000)
  if (s[kWindow] !== now) {
    s[kWindow] = now
    s[kResets] = 0
  }
  const n = (s[kResets] = (s[kResets] as number) + 1)
  if (n === limits.maxResetsPerSecond + 1 && !s.destroyed) {
    engine.log.serverLog(
      'warn',
      `http2: ${s.socket?.remoteAddress ?? '-'} reset more than ${limits.maxResetsPerSecond} streams in a second (rapid reset): closing the session`,
    )
    // not from inside the reset being processed: node:http2 can abort the process on a session destroyed
    // in the middle of nghttp2's callbacks (nodejs/node#38964, `current_nghttp2_memory_ >= previous_size`)
    setImmediate(calmDown, s)
  }
}

function calmDown(s: ServerHttp2Session): void {
  if (s.destroyed) return
  s.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM)
  s.destroy()
}
