/**
 * Model-synchronized cache keys (SPEC §3.5): `deflu('tables.users')` declares a key, `setlu(key)`
 * records "updated now", `getlu(...keys)` gives the latest update time (ms since the epoch; 0 when never
 * updated). A cached result is used only when it was stored after that time.
 *
 * The values live behind `LuStore` so a cross-worker store (through the cluster master) or a Redis
 * store can replace the in-process one without touching callers.
 */
export interface LuStore {
  get(key: string): number
  /** Record an update at `time`; the store notifies its subscribers (also those of other workers). */
  set(key: string, time: number): void
  /** Listen to updates of any key; returns an unsubscribe function. */
  subscribe(fn: (key: string, time: number) => void): () => void
}

/** The in-process store: one Map, listeners called synchronously. */
export class MemoryLuStore implements LuStore {
  private readonly _times = new Map<string, number>()
  private readonly _listeners = new Set<(key: string, time: number) => void>()

  get(key: string): number {
    return this._times.get(key) ?? 0
  }

  set(key: string, time: number): void {
    this._times.set(key, time)
    for (const fn of this._listeners) {
      try {
        fn(key, time)
      } catch (e) {
        // A broken listener must not stop the update reaching the others.
        process.emitWarning(`model-changed listener failed: ${(e as Error)?.message ?? e}`)
      }
    }
  }

  subscribe(fn: (key: string, time: number) => void): () => void {
    this._listeners.add(fn)
    return () => this._listeners.delete(fn)
  }
}

const declared = new Set<string>()
let store: LuStore = new MemoryLuStore()
let lastSet = 0

/** Replace the store (cross-worker or Redis synchronization). */
export function setLuStore(s: LuStore): void {
  store = s
}

export function getLuStore(): LuStore {
  return store
}

/** `skitai.deflu('tables.users', 'tables.photos')`. */
export function deflu(...keys: string[]): void {
  for (const k of keys) {
    if (typeof k !== 'string' || k === '') throw new Error('deflu: keys must be non-empty strings')
    declared.add(k)
  }
}

function check(key: string): void {
  if (!declared.has(key))
    throw new Error(
      `model key ${JSON.stringify(key)} is not declared (call skitai.deflu(${JSON.stringify(key)}) before run())`,
    )
}

/** Record that the model `key` changed now; emits `model-changed:KEY` to subscribers. */
export function setlu(...keys: string[]): void {
  // Strictly increasing times, so an update in the same millisecond as a cache store still wins.
  let now = Date.now()
  if (now <= lastSet) now = lastSet + 1
  lastSet = now
  for (const k of keys) {
    check(k)
    store.set(k, now)
  }
}

/** Latest update time (ms) of the given keys; 0 when none was ever updated. */
export function getlu(...keys: string[]): number {
  let t = 0
  for (const k of keys) {
    check(k)
    const v = store.get(k)
    if (v > t) t = v
  }
  return t
}

/**
 * Listen to model changes: `fn('model-changed:tables.users', time)`. Saddle forwards these to
 * `app.onBroadcast` handlers. Returns an unsubscribe function.
 */
export function onModelChanged(fn: (event: string, key: string, time: number) => void): () => void {
  return store.subscribe((key, time) => fn(`model-changed:${key}`, key, time))
}
