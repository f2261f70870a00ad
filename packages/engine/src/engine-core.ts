import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { AccessLog } from './access-log.js'
import type { AddressTable } from './address-caps.js'
import type { MountTable } from './mounts.js'
import type { Prefs } from './options.js'
import type { ServingEngine } from './request-context.js'
import type { WsHub } from './ws-hub.js'

/**
 * What the request path (pipeline.ts, server.ts, deadlines.ts, the HTTP/2 and WebSocket files, the test
 * client) reads and calls on the engine. The `Engine` class (engine.ts, its fields in engine-state.ts) has
 * all of it; those files take this interface rather than the class because engine.ts imports them — a
 * type import of the class would close an import cycle (ARCHITECTURE.md, "Dependency rules").
 */
export interface EngineCore extends ServingEngine {
  readonly mounts: MountTable
  readonly log: AccessLog
  readonly prefs: Prefs
  readonly addresses: AddressTable
  inFlight: number
  connections: number
  closing: boolean
  /** Set one turn after `closing` (shutdown.ts): answers now close their connections. */
  draining: boolean
  /** Seconds sent in Retry-After with a 503. */
  readonly retryAfter: number
  readonly server: Server | null
  readonly keepAliveMs: number
  readonly bodyTimeoutMs: number
  readonly handlerTimeoutMs: number
  /** The WebSocket sessions, made on the first handshake. */
  readonly ws: WsHub
  /** The request handler as a Node listener. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void
  trackUpgraded(socket: Duplex): void
  prepare(): Promise<void>
  close(graceSeconds?: number): Promise<void>
}
