/**
 * The IPC messages between the master and its workers (ARCHITECTURE.md, "Workers"). Every message is
 * an object with a `type`; ours start with `skitai:state` (the shared-state relay) or `skitai:ctl`
 * (lifecycle), so other listeners on the same channel (status and metrics collection) can tell them apart.
 */
import type { SharedValue } from '@skitai/was'

export const STATE = 'skitai:state'
export const CTL = 'skitai:ctl'

export type SnapshotEntry = [key: string, value: SharedValue, expiresAt: number | undefined]

export type StateMessage =
  | { type: typeof STATE; op: 'hello' }
  | { type: typeof STATE; op: 'snapshot'; entries: SnapshotEntry[] }
  | { type: typeof STATE; op: 'set'; key: string; value: SharedValue; expiresAt?: number }
  | { type: typeof STATE; op: 'pub'; topic: string; message: SharedValue }

export type CtlMessage =
  /** worker → master: listening, serving requests */
  | { type: typeof CTL; cmd: 'ready' }
  /** worker → master: an error it hit (uncaught, or a failed start), quoted when it dies */
  | { type: typeof CTL; cmd: 'error'; message: string }
  /** worker → master: CPU use over the last critical-point interval, percent of one core */
  | { type: typeof CTL; cmd: 'cpu'; percent: number }
  /** worker → master: an app asked for the reloader (`app.useReloader = true`) */
  | { type: typeof CTL; cmd: 'reloader' }
  /** master → worker: close gracefully within `grace` seconds, then exit */
  | { type: typeof CTL; cmd: 'stop'; grace: number }

export function isStateMessage(m: unknown): m is StateMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === STATE
}

export function isCtlMessage(m: unknown): m is CtlMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === CTL
}

/** Environment of a worker: its slot number and the service name (process title). */
export const ENV_WORKER_ID = 'SKITAI_WORKER_ID'
export const ENV_NAME = 'SKITAI_NAME'
