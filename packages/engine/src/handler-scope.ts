import { AsyncResource, executionAsyncId } from 'node:async_hooks'
import type { RequestContext } from './contract.js'

/**
 * Calls an app's handler in an async scope of its own and records the scope's id in `ctx.asyncId`.
 * A timer or immediate the handler sets carries that id as its trigger, so an exception thrown in it
 * (`setTimeout(() => { throw … })`) is tied to this request by uncaught.ts and answered 500, even
 * when the app runs without AsyncLocalStorage (Saddle's `asyncContext` off, the default). A fresh
 * scope per call, not the connection's: a late throw from an earlier keep-alive request must not be
 * blamed on the next one. Costs one small object per request (no async hooks are enabled).
 */
export function handlerScope<A, B, R>(ctx: RequestContext, fn: (a: A, b: B) => R, a: A, b: B): R {
  // the trigger given as a number (what node would default to): skips the options-object path
  const scope = new AsyncResource('skitai.handler', executionAsyncId())
  ctx.asyncId = scope.asyncId()
  return scope.runInAsyncScope(fn, null, a, b)
}
