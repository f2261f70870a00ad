/** Whether `x` is a thenable (cheaper than `instanceof Promise` and accepts Tasks with `then`). */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && typeof x === 'object' && typeof (x as { then?: unknown }).then === 'function'
}
