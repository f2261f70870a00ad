import type { Saddle } from './app.js'
import type { Route } from './route.js'
import { baseUrl, buildUrl } from './url-builder.js'
import type { SaddleWas } from './was.js'

/** A named route and the URL base it lives under (mount point + package prefix). */
export interface NamedRoute {
  readonly route: Route
  readonly base: string
}

/**
 * Finds a route by name (README "URL building"): `'add'` (the app's own or an un-namespaced package route),
 * `'v1.owners'` (a package added with `ns: 'v1'`), `'appname:route'` (another mounted Saddle app).
 * Inside a namespaced package, a plain name is also tried with the package's namespace.
 */
export function findNamed(app: Saddle, name: string, current: Route | null): NamedRoute {
  const colon = name.indexOf(':')
  if (colon >= 0) {
    const appName = name.slice(0, colon)
    const other = app.mountedApps()[appName]
    if (other === undefined) throw new Error(`unknown app in route name '${name}': no mounted Saddle app '${appName}'`)
    return findNamed(other, name.slice(colon + 1), null)
  }
  let entry = app._names.get(name)
  if (entry === undefined && current !== null && current.owner.ns !== '') {
    entry = app._names.get(`${current.owner.ns}.${name}`)
  }
  if (entry === undefined) throw new Error(`unknown route name: '${name}'`)
  return { route: entry.route, base: app.basePath + entry.prefix }
}

/** `app.buildUrl` / `was.ab`: a trailing plain object in `args` gives named values. */
export function buildUrlFor(app: Saddle, name: string, args: unknown[], current: Route | null): string {
  const { route, base } = findNamed(app, name, current)
  const last = args.length > 0 ? args[args.length - 1] : undefined
  if (isPlainObject(last)) return buildUrl(route, base, args.slice(0, -1), last)
  return buildUrl(route, base, args)
}

/** `was.partial(name, overrides)`: the current request's values for the target's parameters, overridden. */
export function partialFor(was: SaddleWas, name: string, overrides: Record<string, unknown>): string {
  const { route, base } = findNamed(was.app, name, was.route)
  const current = was.request.args
  const kwargs: Record<string, unknown> = Object.create(null)
  for (const n of route.builder.names) if (n in current) kwargs[n] = current[n]
  for (const k of Object.keys(overrides)) kwargs[k] = overrides[k]
  return buildUrl(route, base, [], kwargs)
}

export function baseurlFor(app: Saddle, name: string, current: Route | null): string {
  const { route, base } = findNamed(app, name, current)
  return baseUrl(route, base)
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false
  const p = Object.getPrototypeOf(x)
  return p === Object.prototype || p === null
}
