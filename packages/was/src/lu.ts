/**
 * Model-synchronized cache keys (README "Model keys: `deflu`/`setlu`/`getlu`"): `deflu('tables.users')` declares a key, `setlu(key)`
 * records "updated now", `getlu(...keys)` gives the latest update time (ms since the epoch; 0 when never
 * updated). A cached result is used only when it was stored after that time.
 *
 * The times live in the shared-state channel (shared-state.ts) under `lu:KEY`, so the backend decides
 * who sees an update: this process (memory), every worker (cluster), every host (Redis).
 */
import { sharedState } from './shared-state.js'

/** The shared-state key holding a model key's update time. */
export const LU_PREFIX = 'lu:'

const declared = new Set<string>()
let lastSet = 0

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

function timeOf(key: string): number {
  const v = sharedState().get(LU_PREFIX + key)
  return typeof v === 'number' ? v : 0
}

/** Record that the model `key` changed now; emits `model-changed:KEY` to subscribers in every process. */
export function setlu(...keys: string[]): void {
  for (const k of keys) check(k)
  // Strictly increasing times — past this process's last update and the key's current (maybe remote)
  // time — so an update in the same millisecond as a cache store still wins.
  let now = Date.now()
  if (now <= lastSet) now = lastSet + 1
  for (const k of keys) {
    const t = timeOf(k)
    if (now <= t) now = t + 1
  }
  lastSet = now
  const state = sharedState()
  for (const k of keys) state.set(LU_PREFIX + k, now)
}

/** Latest update time (ms) of the given keys; 0 when none was ever updated. */
export function getlu(...keys: string[]): number {
  let t = 0
  for (const k of keys) {
    check(k)
    const v = timeOf(k)
    if (v > t) t = v
  }
  return t
}

/**
 * Listen to model changes from any process: `fn('model-changed:tables.users', 'tables.users', time)`.
 * Saddle forwards these to `app.onBroadcast` handlers. Returns an unsubscribe function.
 */
export function onModelChanged(fn: (event: string, key: string, time: number) => void): () => void {
  return sharedState().onChange((key, value) => {
    if (key.startsWith(LU_PREFIX) && typeof value === 'number') {
      const model = key.slice(LU_PREFIX.length)
      fn(`model-changed:${model}`, model, value)
    }
  })
}
