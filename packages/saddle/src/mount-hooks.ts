import type { SaddleApp } from './contract.js'
import { isThenable } from './thenable.js'
import { SaddleWas } from './saddle-was.js'

export type LifecycleName = 'beforeMount' | 'mounted' | 'beforeReload' | 'reloaded' | 'beforeUmount' | 'umounted'
export type LifecycleHook = (wasOrWasc: any) => unknown

/** Lifecycle hook lists of one app or package. */
export class LifecycleHooks {
  private readonly lists: Record<LifecycleName, LifecycleHook[]> = {
    beforeMount: [],
    mounted: [],
    beforeReload: [],
    reloaded: [],
    beforeUmount: [],
    umounted: [],
  }

  add(name: LifecycleName, fn: LifecycleHook): LifecycleHook {
    this.lists[name].push(fn)
    return fn
  }

  get(name: LifecycleName): readonly LifecycleHook[] {
    return this.lists[name]
  }
}

/** Names given to `wasc.register`, shared by every app's `was`. */
const registered = new Map<string, unknown>()

/**
 * `wasc`: the server-wide context given to `beforeMount` and `umounted` hooks. `wasc.register(name, obj)`
 * makes `obj` available as `was[name]` in every Saddle app (defined once on the `was` prototype, so
 * request objects keep their shape).
 */
export class Wasc {
  constructor(readonly app: SaddleApp<SaddleWas>) {}

  register(name: string, obj: unknown): void {
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new Error(`wasc.register: '${name}' is not a valid name`)
    if (!registered.has(name) && name in SaddleWas.prototype) {
      throw new Error(`wasc.register: '${name}' is already a member of was`)
    }
    registered.set(name, obj)
    Object.defineProperty(SaddleWas.prototype, name, { value: obj, configurable: true, writable: true })
  }

  /** A registered object (also `was[name]`). */
  get(name: string): unknown {
    return registered.get(name)
  }
}

/**
 * Runs one lifecycle stage for the app and then its packages, in order; async hooks are awaited.
 * `beforeMount`/`umounted` get `wasc`, the others a `was` that has no request.
 */
/** An app or package with lifecycle hooks (`Package`). */
interface LifecycleOwner {
  lifecycleHooksOf(name: LifecycleName): readonly LifecycleHook[]
}

/** What running the lifecycle needs of the app (`Saddle`). */
export interface MountedApp extends SaddleApp<SaddleWas>, LifecycleOwner {
  readonly packages: readonly LifecycleOwner[]
  idleWas(): SaddleWas
}

export async function runLifecycle(app: MountedApp, name: LifecycleName): Promise<void> {
  const arg = name === 'beforeMount' || name === 'umounted' ? new Wasc(app) : app.idleWas()
  for (const owner of [app, ...app.packages]) {
    for (const fn of owner.lifecycleHooksOf(name)) {
      const r = fn(arg)
      if (isThenable(r)) await r
    }
  }
}
