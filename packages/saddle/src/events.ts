import { randomUUID } from 'node:crypto'
import { onModelChanged, sharedState } from '@skitai/was'
import { isThenable } from './thenable.js'
import type { WasScope } from './contract.js'

/** An `app.on` / `app.onBroadcast` handler; `W` is the app's `was` (`SaddleWas`). */
export type EventHandler<W> = (was: W, ...args: any[]) => unknown

/** `app.on(name, fn)` / `was.emit(name, ...args)`: an event bus inside one app (packages share it). */
export class EventBus<W extends WasScope> {
  private readonly handlers = new Map<string, EventHandler<W>[]>()

  on(name: string, fn: EventHandler<W>): void {
    const list = this.handlers.get(name)
    if (list === undefined) this.handlers.set(name, [fn])
    else list.push(fn)
  }

  off(name: string, fn: EventHandler<W>): void {
    const list = this.handlers.get(name)
    if (list !== undefined)
      this.handlers.set(
        name,
        list.filter((f) => f !== fn),
      )
  }

  has(name: string): boolean {
    return (this.handlers.get(name)?.length ?? 0) > 0
  }

  /** Calls the handlers in order; an async one is awaited before the next runs. Errors are logged. */
  async emit(was: W, name: string, args: unknown[]): Promise<void> {
    const list = this.handlers.get(name)
    if (list === undefined) return
    for (const fn of list) {
      try {
        const r = fn(was, ...args)
        if (isThenable(r)) await r
      } catch (e) {
        was.app.logError(e, was, `event handler for '${name}' failed`)
      }
    }
  }
}

/**
 * Apps with `onBroadcast` handlers, for `was.broadcast` across every Saddle app of this process and, through
 * the shared-state channel (topic `broadcast`), of every other process of the service (workers, hosts).
 * Apps register when they are created and leave at `unmount()`.
 */
interface BroadcastMember {
  readonly broadcastBus: {
    has(name: string): boolean
    emit(was: WasScope, name: string, args: unknown[]): Promise<void>
  }
  /** A request-less `was` of the member's app, for events that come from no request. */
  eventWas(): WasScope | null
}

/** The channel topic of `was.broadcast`; messages are `{ from, name, args }`. */
export const BROADCAST_TOPIC = 'broadcast'
/** Tells this process's own messages apart when the channel delivers them back (they already ran here). */
const processToken = randomUUID()

const broadcastApps = new Set<BroadcastMember>()
let channelJoined = false

function emitEverywhere(name: string, args: unknown[]): void {
  for (const member of broadcastApps) {
    if (!member.broadcastBus.has(name)) continue
    const was = member.eventWas()
    if (was !== null) void member.broadcastBus.emit(was, name, args)
  }
}

export function joinBroadcast(app: BroadcastMember): void {
  broadcastApps.add(app)
  if (channelJoined) return
  channelJoined = true
  // `was.setlu(key)` in any process → `model-changed:KEY` to onBroadcast handlers (was README).
  onModelChanged((event, key, time) => emitEverywhere(event, [key, time]))
  sharedState().subscribe(BROADCAST_TOPIC, (message) => {
    const m = message as { from?: unknown; name?: unknown; args?: unknown }
    if (m === null || typeof m !== 'object' || m.from === processToken || typeof m.name !== 'string') return
    emitEverywhere(m.name, Array.isArray(m.args) ? m.args : [])
  })
}

export function leaveBroadcast(app: BroadcastMember): void {
  broadcastApps.delete(app)
}

/**
 * `was.broadcast(name, ...args)`: this process's handlers run with the caller's `was` and are awaited;
 * other processes get `{ name, args }` (JSON) through the channel and run theirs with a request-less `was`.
 */
export async function broadcast(was: WasScope, name: string, args: unknown[]): Promise<void> {
  sharedState().publish(BROADCAST_TOPIC, { from: processToken, name, args })
  for (const app of broadcastApps) {
    if (app.broadcastBus.has(name)) await app.broadcastBus.emit(was, name, args)
  }
}
