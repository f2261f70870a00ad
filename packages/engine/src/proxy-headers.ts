/**
 * What the `'@alias'` reverse proxy (proxy.ts) and its WebSocket tunnel (proxy-upgrade.ts) share: the mount
 * target, hop-by-hop header rules, X-Forwarded-* and transaction ids, and which errors allow fail-over.
 */
import type { IncomingMessage } from 'node:http'
import { splitAliasUrl, wasStorage } from '@skitai/was'
import type { RequestContext } from './contract.js'

/** '@alias' or '@alias/base/path' → the alias name and the base path (no trailing slash, no query). */
export function aliasTarget(target: string): { name: string; base: string } {
  const a = splitAliasUrl(target)
  if (a === undefined || a.name === '')
    throw new Error(`cannot mount ${JSON.stringify(target)}: expected '@alias' or '@alias/base/path'`)
  return { name: a.name, base: a.path.replace(/\/+$/, '').replace(/\?.*$/, '') }
}

/** The member's path: the mount's base path, then the request's raw path and query. */
export function memberPath(base: string, ctx: RequestContext): string {
  return `${base}${ctx.path === '' ? '/' : ctx.path}${ctx.search === '' ? '' : `?${ctx.search}`}`
}

/** X-Forwarded-For: the client's chain (if any) with this client's address appended. */
export function forwardedFor(req: IncomingMessage): string {
  const prior = req.headers['x-forwarded-for']
  const ip = req.socket.remoteAddress ?? ''
  return prior === undefined ? ip : `${Array.isArray(prior) ? prior.join(', ') : prior}, ${ip}`
}

export function forwardedProto(req: IncomingMessage): string {
  return (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http'
}

/** Transaction ids for the member: the caller's global id and this request's next local id. */
export function txnHeaders(ctx: RequestContext): { 'x-gtxn-id': string; 'x-ltxn-id': string } {
  const w = wasStorage.getStore()
  return w !== undefined ? w.nextTxnHeaders() : { 'x-gtxn-id': ctx.gtxnid, 'x-ltxn-id': String(ctx.ltxnid + 1) }
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and ones this proxy sets itself. */
export const HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])
/** Names listed in a Connection header are hop-by-hop for that message. */
export function connectionTokens(v: string | string[] | undefined): Set<string> | null {
  if (v === undefined) return null
  const s = Array.isArray(v) ? v.join(',') : v
  const out = new Set<string>()
  for (const t of s.split(',')) {
    const n = t.trim().toLowerCase()
    if (n !== '') out.add(n)
  }
  return out
}

export function filterHeaders(
  h: Record<string, string | string[] | undefined>,
  drop: ReadonlySet<string>,
): Record<string, string | string[]> {
  const extra = connectionTokens(h.connection)
  const out: Record<string, string | string[]> = {}
  for (const k in h) {
    const v = h[k]
    // HTTP/2 pseudo-headers (`:path`, `:authority` …) of a request that came over h2 are not forwarded
    if (v === undefined || HOP.has(k) || drop.has(k) || extra?.has(k) || k.charCodeAt(0) === 58) continue
    out[k] = v
  }
  return out
}

export const REQUEST_DROP: ReadonlySet<string> = new Set(['host', 'expect', 'x-gtxn-id', 'x-ltxn-id'])
