/**
 * Methods of a Package that are used bare as decorators (`@app.beforeRequest`). Each instance gets them
 * bound to itself: a decorator is called as a plain function by some compilers — esbuild (and so tsx)
 * calls `@app.beforeRequest` without `this` — so an unbound method would crash reading `this.hookSet`.
 */
export const BARE_DECORATORS = [
  'beforeRequest',
  'afterRequest',
  'failedRequest',
  'teardownRequest',
  'defaultErrorHandler',
  'loginHandler',
  'permissionHandler',
  'beforeMount',
  'mounted',
  'beforeReload',
  'reloaded',
  'beforeUmount',
  'umounted',
] as const

/** Binds the bare-decorator methods of `target` to it (own properties, looked up before the prototype). */
export function bindBareDecorators(target: object): void {
  const self = target as Record<string, unknown>
  for (const name of BARE_DECORATORS) {
    const fn = self[name]
    if (typeof fn === 'function') self[name] = fn.bind(target)
  }
}
