/**
 * The introspection methods Python's SimpleXMLRPCServer answers (README "XML-RPC and JSON-RPC"): `system.listMethods`,
 * `system.methodHelp`, and `system.multicall` (Python's format: a list of `{methodName, params}` → a list
 * of `[value]` or fault structs `{faultCode, faultString}`).
 */
import { docFromSource } from './doc-comment.js'
import { type CallOutcome, type RpcApp, resolveMethod } from './dispatch.js'
import { faultString } from './failure.js'
import { pathToMethod } from './method-path.js'

export const SYSTEM_METHODS = ['system.listMethods', 'system.methodHelp', 'system.multicall'] as const

/** Largest multicall answered (each call runs a handler; bound the fan-out). */
export const MAX_MULTICALL = 100

export interface RouteListing {
  name: string
  rule: string
  doc: string | undefined
}

export interface ListingApp extends RpcApp {
  listRoutes(): RouteListing[]
}

/**
 * Names a client at this URL can call: routes under the posted path by their short name (`add` at
 * `/rpc2` for the route `/rpc2/add`), then every other route by its dotted path from the mount point —
 * the same two places the resolver looks. Only routes without URL variables that accept POST.
 */
export function listMethods(app: ListingApp, base: string): string[] {
  const short: string[] = []
  const full: string[] = []
  for (const r of app.listRoutes()) {
    if (r.rule.includes('<')) continue
    const m = app.resolveRoute(r.rule, 'POST')
    if (m === null || m.route === null) continue
    const s = base === '' ? null : pathToMethod(r.rule, base)
    if (s !== null) {
      short.push(s)
      continue
    }
    const f = pathToMethod(r.rule, '')
    if (f !== null) full.push(f)
  }
  // A full name that is also a short name resolves to the route under the posted path: leave it out.
  const shadowed = new Set(short)
  return [...short, ...full.filter((f) => !shadowed.has(f))].sort().concat(SYSTEM_METHODS)
}

/** Route option `doc`, else the docstring/comment at the top of the handler's body; '' when none. */
export function methodHelp(app: RpcApp, base: string, name: string): string | null {
  if ((SYSTEM_METHODS as readonly string[]).includes(name)) return SYSTEM_HELP[name]!
  const m = resolveMethod(app, base, name)
  if (m === null || m.route === null) return null
  const doc = m.route.options.doc
  return typeof doc === 'string' ? doc : docFromSource(m.route.handler)
}

const SYSTEM_HELP: Record<string, string> = {
  'system.listMethods': 'Returns the names of the methods this URL answers.',
  'system.methodHelp': 'methodHelp(name): the documentation of a method.',
  'system.multicall':
    'multicall([{methodName, params}, ...]): runs the calls in order; returns [value] or a fault struct for each.',
}

export type MulticallEntry = [unknown] | { faultCode: number; faultString: string }

/**
 * Runs the calls one after another. A malformed entry or a nested `system.multicall` is a fault in its
 * slot (400), like any failing call; the others still run.
 */
export async function multicall(
  calls: unknown,
  call: (methodName: string, params: unknown[]) => Promise<CallOutcome>,
): Promise<MulticallEntry[] | string> {
  if (!Array.isArray(calls)) return 'system.multicall takes one array of {methodName, params} structs'
  if (calls.length > MAX_MULTICALL) return `system.multicall of ${calls.length} calls (max ${MAX_MULTICALL})`
  const out: MulticallEntry[] = []
  for (const c of calls) {
    const name = (c as { methodName?: unknown } | null)?.methodName
    const params = (c as { params?: unknown } | null)?.params ?? []
    if (typeof name !== 'string' || !Array.isArray(params)) {
      out.push({ faultCode: 400, faultString: 'each call must be a struct with methodName and params (an array)' })
      continue
    }
    if (name === 'system.multicall') {
      out.push({ faultCode: 400, faultString: 'system.multicall may not be nested' })
      continue
    }
    const r = await call(name, params)
    out.push(r.ok ? [r.value] : { faultCode: r.failure.status, faultString: faultString(r.failure) })
  }
  return out
}
