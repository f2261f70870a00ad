/**
 * URL building (README "URL building"), all of it: positional and named values → a route's path and
 * query string (`buildUrl`, `baseUrl`), and the name lookup ('add', 'v1.owners', 'app:route') behind
 * `app.buildUrl` and `was.ab/partial/baseurl` (`findNamed`, `buildUrlFor`, …).
 */
import type { ArgBuilder } from './arg-builder.js'
import { FORBIDDEN_KEYS } from './signature.js'
import { canOmitLastVar, type RuleInfo, type VarType } from './router.js'
import type { RouteInfo, SaddleApp, WasScope } from './contract.js'

export interface BuildableRoute {
  name: string
  rule: RuleInfo
  builder: ArgBuilder
  optionalLastVar: boolean
}

/** What a route needs for building, worked out once per route (routes are registered once). */
interface Plan {
  pathVars: Set<string>
  /** Index into rule.parts of a last variable that may be left out, or -1. */
  omittable: number
  /** builder.names as a set, for the unknown-parameter check. */
  known: Set<string>
}

const plans = new WeakMap<BuildableRoute, Plan>()

function planOf(route: BuildableRoute): Plan {
  let plan = plans.get(route)
  if (plan === undefined) {
    const parts = route.rule.parts
    plan = {
      pathVars: new Set(route.rule.vars.map((v) => v.name)),
      omittable:
        route.optionalLastVar && canOmitLastVar(route.rule) ? parts.findLastIndex((p) => p.kind === 'var') : -1,
      known: new Set([...route.builder.names, ...route.rule.vars.map((v) => v.name)]),
    }
    plans.set(route, plan)
  }
  return plan
}

/**
 * Positional args map onto builder.names in order; kwargs give named ones. Path variables go into the
 * path, the rest into the query string (names in parameter order, then catch-all extras in kwargs order).
 * Values that are undefined or null are not given: they are not emitted (the handler's default applies).
 */
export function buildUrl(
  route: BuildableRoute,
  mountPoint: string,
  args: unknown[],
  kwargs?: Record<string, unknown>,
): string {
  const names = route.builder.names
  if (args.length > names.length) {
    throw new Error(`too many parameters for route '${route.name}': it takes ${names.length}, got ${args.length}`)
  }
  const plan = planOf(route)
  const values: Record<string, unknown> = Object.create(null)
  for (let i = 0; i < args.length; i++) values[names[i]] = args[i]
  let extras: string[] | null = null
  if (kwargs !== undefined && kwargs !== null) {
    for (const k of Object.keys(kwargs)) {
      const known = plan.known.has(k)
      if (FORBIDDEN_KEYS.has(k) || (!known && !route.builder.hasCatchAll)) {
        throw new Error(`unknown parameter '${k}' for route '${route.name}'`)
      }
      if (k in values) throw new Error(`parameter '${k}' of route '${route.name}' given both by position and by name`)
      values[k] = kwargs[k]
      if (!known) (extras ??= []).push(k)
    }
  }

  let path = ''
  const parts = route.rule.parts
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]
    if (part.kind === 'text') {
      path += part.value
      continue
    }
    const v = values[part.name]
    if (v === undefined || v === null) {
      if (i === plan.omittable) {
        path = path.slice(0, -1) // '/owners/<oid>' without oid → '/owners', as the router serves it
        continue
      }
      throw new Error(`missing path variable '${part.name}' for route '${route.name}'`)
    }
    path += encodeVar(v, part.type, part.name, route.name)
  }

  let query = ''
  for (const name of names) {
    if (!plan.pathVars.has(name)) query = appendQuery(query, name, values[name])
  }
  if (extras !== null) for (const name of extras) query = appendQuery(query, name, values[name])
  return joinMount(mountPoint, path) + (query === '' ? '' : `?${query}`)
}

/** The rule up to its first variable, with the mount point (`was.baseurl`). */
export function baseUrl(route: BuildableRoute, mountPoint: string): string {
  return joinMount(mountPoint, route.rule.literalPrefix)
}

function joinMount(mountPoint: string, path: string): string {
  const mp = mountPoint.endsWith('/') ? mountPoint.slice(0, -1) : mountPoint
  return mp + path
}

const INT_RE = /^[0-9]+$/
const FLOAT_RE = /^[0-9]+(?:\.[0-9]+)?$/

function encodeVar(v: unknown, type: VarType, name: string, route: string): string {
  const s = String(v)
  switch (type) {
    case 'int':
      if (!INT_RE.test(s))
        throw new Error(`path variable '${name}' of route '${route}' must be a non-negative integer, got ${s}`)
      return s
    case 'float':
      if (!FLOAT_RE.test(s))
        throw new Error(`path variable '${name}' of route '${route}' must be a non-negative number, got ${s}`)
      return s
    case 'path':
      // Each segment is encoded; the '/' between segments stays.
      return s.split('/').map(encodeURIComponent).join('/')
    default:
      // Spaces become '_' (the router turns '_' back into a space); a real '_' is written as '%5F' so it
      // survives the round trip.
      return encodeURIComponent(s).replaceAll('_', '%5F').replaceAll('%20', '_')
  }
}

function appendQuery(query: string, name: string, v: unknown): string {
  if (v === undefined || v === null) return query
  if (Array.isArray(v)) {
    for (const item of v) query = appendQuery(query, name, item)
    return query
  }
  let key = encodeURIComponent(name)
  let text: string
  if (v instanceof Date) text = v.toISOString()
  else if (typeof v === 'object') {
    key = `json:${key}` // read back as the same object by args.ts
    text = JSON.stringify(v)
  } else text = String(v)
  const pair = `${key}=${encodeURIComponent(text)}`
  return query === '' ? pair : `${query}&${pair}`
}

// ---- finding routes by name (app.buildUrl, was.ab / partial / baseurl) ----
/** A named route and the URL base it lives under (mount point + package prefix). */
export interface NamedRoute {
  readonly route: RouteInfo
  readonly base: string
}

/**
 * Finds a route by name (README "URL building"): `'add'` (the app's own or an un-namespaced package route),
 * `'v1.owners'` (a package added with `ns: 'v1'`), `'appname:route'` (another mounted Saddle app).
 * Inside a namespaced package, a plain name is also tried with the package's namespace.
 */
export function findNamed(app: SaddleApp, name: string, current: RouteInfo | null): NamedRoute {
  const colon = name.indexOf(':')
  if (colon >= 0) {
    const appName = name.slice(0, colon)
    const other = app.mountedApps()[appName]
    if (other === undefined) throw new Error(`unknown app in route name '${name}': no mounted Saddle app '${appName}'`)
    return findNamed(other, name.slice(colon + 1), null)
  }
  let entry = app.routeNames.get(name)
  if (entry === undefined && current !== null && current.owner.ns !== '') {
    entry = app.routeNames.get(`${current.owner.ns}.${name}`)
  }
  if (entry === undefined) throw new Error(`unknown route name: '${name}'`)
  return { route: entry.route, base: app.basePath + entry.prefix }
}

/** `app.buildUrl` / `was.ab`: a trailing plain object in `args` gives named values. */
export function buildUrlFor(app: SaddleApp, name: string, args: unknown[], current: RouteInfo | null): string {
  const { route, base } = findNamed(app, name, current)
  const last = args.length > 0 ? args[args.length - 1] : undefined
  if (isPlainObject(last)) return buildUrl(route, base, args.slice(0, -1), last)
  return buildUrl(route, base, args)
}

/** `was.partial(name, overrides)`: the current request's values for the target's parameters, overridden. */
export function partialFor(was: WasScope, name: string, overrides: Record<string, unknown>): string {
  const { route, base } = findNamed(was.app, name, was.route)
  const current = was.request.args
  const kwargs: Record<string, unknown> = Object.create(null)
  for (const n of route.builder.names) if (n in current) kwargs[n] = current[n]
  for (const k of Object.keys(overrides)) kwargs[k] = overrides[k]
  return buildUrl(route, base, [], kwargs)
}

export function baseurlFor(app: SaddleApp, name: string, current: RouteInfo | null): string {
  const { route, base } = findNamed(app, name, current)
  return baseUrl(route, base)
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false
  const p = Object.getPrototypeOf(x)
  return p === Object.prototype || p === null
}
