import { onModelChanged } from '@skitai/was'
import { isThenable } from './lifecycle/run-until-answer.js'
import type { SaddleWas } from './was.js'

export type EventHandler = (was: SaddleWas, ...args: any[]) => unknown

/** `app.on(name, fn)` / `was.emit(name, ...args)`: an event bus inside one app (packages share it). */
export class EventBus {
  private readonly handlers = new Map<string, EventHandler[]>()

  on(name: string, fn: EventHandler): void {
    const list = this.handlers.get(name)
    if (list === undefined) this.handlers.set(name, [fn])
    else list.push(fn)
  }

  off(name: string, fn: EventHandler): void {
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
  async emit(was: SaddleWas, name: string, args: unknown[]): Promise<void> {
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
 * Apps with `onBroadcast` handlers, for `was.broadcast` across every Saddle app of this process. Apps
 * register when they are created and leave at `unmount()`. (Across workers it goes through the engine's
 * master; this is the in-process half.)
 */
interface BroadcastMember {
  readonly _broadcasts: EventBus
  /** A request-less `was` of the member's app, for events that come from no request. */
  _eventWas(): SaddleWas | null
}

const broadcastApps = new Set<BroadcastMember>()
let modelChangesForwarded = false

export function joinBroadcast(app: BroadcastMember): void {
  broadcastApps.add(app)
  if (!modelChangesForwarded) {
    modelChangesForwarded = true
    // `was.setlu(key)` anywhere in the process → `model-changed:KEY` to onBroadcast handlers (was README).
    onModelChanged((event, key, time) => {
      for (const member of broadcastApps) {
        if (!member._broadcasts.has(event)) continue
        const was = member._eventWas()
        if (was !== null) void member._broadcasts.emit(was, event, [key, time])
      }
    })
  }
}

export function leaveBroadcast(app: BroadcastMember): void {
  broadcastApps.delete(app)
}

export async function broadcast(was: SaddleWas, name: string, args: unknown[]): Promise<void> {
  for (const app of broadcastApps) {
    if (app._broadcasts.has(name)) await app._broadcasts.emit(was, name, args)
  }
}
