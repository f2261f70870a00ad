import { AsyncLocalStorage } from 'node:async_hooks'
import type { Was } from './base-was.js'

/**
 * The current request's `was`, for code that is not handed one (an Express or Hono app mounted on the
 * engine, or a helper deep in a call chain). The engine enters this store around non-Saddle mounts;
 * Saddle passes `was` explicitly and enters the store too.
 */
export const wasStorage = new AsyncLocalStorage<Was>()

export function currentWas(): Was {
  const w = wasStorage.getStore()
  if (w === undefined) {
    throw new Error(
      '`was` is only available while a request is being handled (import { was } from "@skitai/was" inside a handler of an app mounted on the Skitai engine)',
    )
  }
  return w
}

export function runWithWas<T>(w: Was, fn: () => T): T {
  return wasStorage.run(w, fn)
}

/**
 * `import { was } from '@skitai/was'`: a stand-in that forwards every property to the current request's
 * `was`, so `was.get.map('@api/x')` works inside any mounted app. Outside a request it throws.
 */
export const was: Was = new Proxy(Object.create(null) as Was, {
  get(_t, key) {
    const w = currentWas() as any
    const v = w[key]
    return typeof v === 'function' && !Object.hasOwn(v, 'lb') ? v.bind(w) : v
  },
  set(_t, key, value) {
    ;(currentWas() as any)[key] = value
    return true
  },
  has(_t, key) {
    return key in currentWas()
  },
})
