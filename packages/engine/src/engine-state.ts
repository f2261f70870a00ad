import type { Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { AccessLog } from './access-log.js'
import { AddressTable } from './address-caps.js'
import { CompressionSettings } from './compression.js'
import { MountTable } from './mounts.js'
import { defaultPrefs, type Prefs } from './options.js'
import { MaxAgeTable } from './static-maxage.js'
import type { Observer } from './status/observe.js'
import type { RequestStats } from './status/request-stats.js'
import type { installRedis } from './use-redis.js'
import type { WsHub } from './ws-hub.js'

/**
 * The engine's state with its initial values: the tables, counters and settings the request path reads
 * and writes on every request (engine-core.ts says which), and the parts made on first use. The Engine
 * class (engine.ts) extends it with the methods; its own fields need the whole engine to be made.
 */
export class EngineState {
  readonly mounts = new MountTable()
  readonly log = new AccessLog()
  readonly maxAge = new MaxAgeTable()
  readonly prefs: Prefs = defaultPrefs()
  /** Open connections and requests in flight per client address (address-caps.ts). */
  readonly addresses = new AddressTable()
  /** Requests being handled now. */
  inFlight = 0
  /** Open client connections. */
  connections = 0
  /** Request counters of the status page and metrics (status/request-stats.ts); null until either is on. */
  stats: RequestStats | null = null
  closing = false
  /** @internal set by close() one turn after `closing` (shutdown.ts): answers close their connections */
  draining = false
  /** Seconds `close()` and the shutdown signals give requests in flight (setShutdownTimeout). */
  shutdownTimeout = 10
  debug = false
  /** Seconds sent in Retry-After with a 503 (set503EstimatedTimeout). */
  retryAfter = 10
  server: Server | null = null

  /** @internal the keep-alive time, advertised in every response's Keep-Alive header (pipeline.ts) */
  keepAliveMs = 30_000
  /** @internal the whole-body deadline (deadlines.ts) */
  bodyTimeoutMs = 300_000
  /** @internal the handler deadline (deadlines.ts) */
  handlerTimeoutMs = 60_000
  /** @internal Sockets handed to an app or proxy by an upgrade (WebSocket); cut at the shutdown deadline. */
  readonly upgraded = new Set<Duplex>()
  /** The port `enableForward` listens on, once listening. */
  forwardPort: number | undefined = undefined
  /** Response compression (compression.ts), on by default; null when `setCompression(false)`. */
  compression: CompressionSettings | null = new CompressionSettings()

  /** @internal `useRedis`: the backend this engine installed (closed with it) and its first sync */
  redis: ReturnType<typeof installRedis> | null = null
  /** @internal the WebSocket sessions, made on the first handshake (`ws`) */
  wsHub: WsHub | null = null
  /** @internal the status page and metrics, made by the first enableStatus/enableMetrics/status() */
  observer: Observer | null = null
}
