/**
 * Firing a backend call: resolve the URL ('@alias/path' or absolute), encode the body, build the
 * headers (defaults, transaction ids, per-call overrides), look in the result cache, and start one
 * Call (or one per member for `.map`). Returns the Task at once; nothing here waits.
 */
import { isDbType, type Cluster } from './aliases.js'
import { mapMembers } from './balance.js'
import { cacheGet, cacheSize, keyOf } from './cache.js'
import { type Body, Call, type CallSpec, type Pending } from './call.js'
import { type Kind, KIND_HTTP } from './codecs.js'
import { getlu } from './lu.js'
import { FAIL_URL, type Result, type ResultSet, STATUS_FAILED } from './result.js'
import { type ResultFilter, Task } from './task.js'

export const MODE_LB = 0
export const MODE_MAP = 1
export type Mode = typeof MODE_LB | typeof MODE_MAP

export interface RequestOptions {
  /** Extra or overriding request headers (names are case-insensitive). */
  headers?: Record<string, string>
  /** `'Bearer …'` (sent as is), or [user, password] / { user, password } for Basic. */
  auth?: string | readonly [string, string] | { user: string; password: string }
  /** Seconds to wait for the response headers, and between body chunks (default: undici's 300). */
  timeout?: number
  /**
   * false: skip the result cache and send `Cache-Control: no-cache`; a number (ms since the epoch):
   * only entries stored after it; a string: a model key, short for `getlu(key)`. Default: use it.
   */
  useCache?: boolean | number | string
  /** `.map` only: called with each result as it arrives; results it rejects are left out of the set. */
  filter?: ResultFilter
  /** Largest response body accepted, bytes (default 64 MiB). */
  maxSize?: number
}

/** What a `was` object provides to the firing code (implemented by `Was`). */
export interface Firer {
  nextTxnHeaders(): { 'x-gtxn-id': string; 'x-ltxn-id': string }
  /** Request and accepted content types, `['application/json', 'application/json']` by default. */
  defaultRequestType(): readonly [string, string]
  /** The cluster for an alias name (an app's private alias first, then the server's). */
  resolveAlias(name: string): Cluster | undefined
  /** Remember a call so `close()` can cancel it if it is never collected. */
  trackCall(call: Pending): void
}

const DEFAULT_MAX_SIZE = 64 * 1024 * 1024

/** Split '@name/path?q' into name and path; undefined when `url` is not an alias URL. */
export function splitAliasUrl(url: string): { name: string; path: string } | undefined {
  if (url.charCodeAt(0) !== 64) return undefined
  let end = url.length
  for (let i = 1; i < url.length; i++) {
    const c = url.charCodeAt(i)
    if (c === 47 || c === 63) {
      end = i
      break
    }
  }
  const rest = url.slice(end)
  return { name: url.slice(1, end), path: rest === '' ? '/' : rest.charCodeAt(0) === 63 ? `/${rest}` : rest }
}

/** Split an absolute http(s) URL into origin and path; undefined when it is not one. */
export function splitAbsoluteUrl(url: string): { origin: string; path: string } | undefined {
  const m = /^(https?):\/\/([^/?#]+)([^#]*)/i.exec(url)
  if (m === null) return undefined
  const path = m[3] as string
  return {
    origin: `${(m[1] as string).toLowerCase()}://${m[2]}`,
    path: path === '' ? '/' : path.charCodeAt(0) === 63 ? `/${path}` : path,
  }
}

/** A Task already finished with status 2 (bad URL, unknown alias): nothing was sent. */
export function failedTask(url: string, reason: string, map: boolean): Task {
  const call = new Call(
    {
      method: '',
      url,
      cluster: null,
      member: null,
      origin: '',
      path: '',
      headers: {},
      body: null,
      replayable: false,
      timeoutMs: 0,
      kind: KIND_HTTP,
      maxSize: 0,
    },
    false,
  )
  call.abort(false, reason)
  const r = call.result
  r.status = STATUS_FAILED
  r.status_code = FAIL_URL
  return new Task([call], map, null, null, null)
}

export interface Target {
  cluster: Cluster | null
  origin: string
  path: string
  alias: string | null
}

/** Resolve a URL for an HTTP-type call; a string is the reason it cannot be called. */
export function resolveTarget(w: Firer, url: string): Target | string {
  if (typeof url !== 'string') return `URL must be a string, got ${typeof url}`
  const a = splitAliasUrl(url)
  if (a !== undefined) {
    const cluster = w.resolveAlias(a.name)
    if (cluster === undefined)
      return `unknown alias '@${a.name}' in ${JSON.stringify(url)} (register it with skitai.alias('@${a.name}', …))`
    if (isDbType(cluster.type))
      return `alias '@${a.name}' is a database alias (${cluster.type}): use was.db('@${a.name}')`
    return { cluster, origin: '', path: a.path, alias: cluster.name }
  }
  const abs = splitAbsoluteUrl(url.startsWith('ws') ? url.replace(/^ws/i, 'http') : url)
  if (abs === undefined) return `invalid URL ${JSON.stringify(url)}: expected http(s)://host/path or '@alias/path'`
  return { cluster: null, origin: abs.origin, path: abs.path, alias: null }
}

function lowerKeys(h: Record<string, string>, into: Record<string, string>): void {
  for (const k in h) {
    const v = h[k]
    if (v !== undefined) into[k.toLowerCase()] = String(v)
  }
}

function authHeader(auth: NonNullable<RequestOptions['auth']>): string {
  if (typeof auth === 'string') return auth
  const [u, p] = Array.isArray(auth) ? auth : [(auth as { user: string }).user, (auth as { password: string }).password]
  return `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`
}

/** Encode `data` by the request type; returns the body and its content type. */
export function encodeBody(
  data: unknown,
  requestType: string,
): { body: Body; type: string | null; replayable: boolean } {
  if (data === undefined || data === null) return { body: null, type: null, replayable: true }
  if (typeof data === 'string')
    return {
      body: data,
      type: requestType.startsWith('application/json') ? 'text/plain; charset=utf-8' : requestType,
      replayable: true,
    }
  if (Buffer.isBuffer(data) || data instanceof Uint8Array)
    return { body: data, type: 'application/octet-stream', replayable: true }
  if (
    typeof (data as { pipe?: unknown }).pipe === 'function' ||
    typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  ) {
    return { body: data as Body, type: 'application/octet-stream', replayable: false }
  }
  if (requestType.startsWith('application/x-www-form-urlencoded')) {
    return { body: new URLSearchParams(data as Record<string, string>).toString(), type: requestType, replayable: true }
  }
  return {
    body: JSON.stringify(data),
    type: requestType.startsWith('application/json') ? requestType : 'application/json',
    replayable: true,
  }
}

/**
 * Start an HTTP-type call. `body` is already encoded (see encodeBody); `contentType` its type.
 */
export function fire(
  w: Firer,
  method: string,
  url: string,
  body: Body,
  contentType: string | null,
  replayable: boolean,
  opts: RequestOptions | undefined,
  kind: Kind,
  accept: string,
  mode: Mode,
): Task {
  const t = resolveTarget(w, url)
  if (typeof t === 'string') return failedTask(url, t, mode === MODE_MAP)
  const o = opts ?? EMPTY_OPTS
  const useCache = o.useCache
  const filter = o.filter ?? null
  const base: Record<string, string> = { accept }
  if (contentType !== null) base['content-type'] = contentType
  if (useCache === false) base['cache-control'] = 'no-cache'
  if (o.auth !== undefined) base.authorization = authHeader(o.auth)
  if (o.headers !== undefined) lowerKeys(o.headers, base)
  if (useCache !== false && cacheSize() > 0) {
    const key = keyOf({ method, url, body, replayable, cluster: t.cluster, headers: base }, mode === MODE_MAP)
    if (key !== null) {
      const notBefore = typeof useCache === 'number' ? useCache : typeof useCache === 'string' ? getlu(useCache) : 0
      const hit = cacheGet<Result | ResultSet>(key, notBefore)
      if (hit !== undefined) return new Task([], mode === MODE_MAP, hit, filter, null)
    }
  }
  const timeoutMs = o.timeout === undefined ? (t.cluster?.timeoutMs ?? 0) : Math.max(1, Math.round(o.timeout * 1000))
  const maxSize = o.maxSize ?? DEFAULT_MAX_SIZE
  const cluster = t.cluster
  if (mode === MODE_MAP && cluster !== null) {
    const members = mapMembers(cluster)
    const calls: Call[] = []
    for (const m of members) {
      const spec: CallSpec = {
        method,
        url,
        cluster,
        member: m,
        origin: '',
        path: t.path,
        headers: withTxn(w, { ...base }),
        body,
        replayable,
        timeoutMs,
        kind,
        maxSize,
      }
      const c = new Call(spec, false)
      w.trackCall(c)
      calls.push(c)
    }
    const task = new Task(calls, true, null, filter, calls.length > 0 ? (calls[0] as Call).spec : null)
    for (const c of calls) c.start()
    return task
  }
  const spec: CallSpec = {
    method,
    url,
    cluster,
    member: null,
    origin: t.origin,
    path: t.path,
    headers: withTxn(w, base),
    body,
    replayable,
    timeoutMs,
    kind,
    maxSize,
  }
  const c = new Call(spec, mode !== MODE_MAP)
  w.trackCall(c)
  const task = new Task([c], mode === MODE_MAP, null, filter, mode === MODE_MAP ? spec : null)
  c.start()
  return task
}

const EMPTY_OPTS: RequestOptions = Object.freeze({})

/** Add the next transaction ids to `h` (a fresh object per outgoing request). */
function withTxn(w: Firer, h: Record<string, string>): Record<string, string> {
  const txn = w.nextTxnHeaders()
  h['x-gtxn-id'] = txn['x-gtxn-id']
  h['x-ltxn-id'] = txn['x-ltxn-id']
  return h
}
