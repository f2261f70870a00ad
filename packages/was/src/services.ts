/**
 * The backend services of `was` (README "Backend calls"): `was.get(url, opts)`, `was.post(url, data, opts)`, …,
 * `was.upload`, `was.rpc`, `was.jsonrpc`, `was.ws`, `was.db`, each with `.lb` and `.map`.
 * A service is a callable made on first use for one `was` (bound to it, with `lb`/`map` as its own
 * properties), so a request that calls no backend allocates nothing for them.
 */
import { mapMembers } from './balance.js'
import { KIND_HTTP } from './codecs.js'
import {
  type Firer,
  MODE_LB,
  MODE_MAP,
  type Mode,
  type RequestOptions,
  encodeBody,
  failedTask,
  fire,
  resolveTarget,
} from './fire.js'
import { type RpcProxy, rpcProxy } from './rpc.js'
import { Task } from './task.js'
import { multipart } from './upload.js'
import { WsCall } from './wscall.js'

export type { RequestOptions }

/** `T` names the type of the answer's decoded data: `was.get<User>(url)` → `Task<User>`. */
export interface BodylessVerb {
  <T = unknown>(url: string, opts?: RequestOptions): Task<T>
  /** One member per call, by weight and load, with fail-over (same as the plain call for an alias). */
  lb<T = unknown>(url: string, opts?: RequestOptions): Task<T>
  /** The same call to every live member; collect with `getswait`. */
  map<T = unknown>(url: string, opts?: RequestOptions): Task<T>
}

export interface BodyVerb {
  <T = unknown>(url: string, data?: unknown, opts?: RequestOptions): Task<T>
  lb<T = unknown>(url: string, data?: unknown, opts?: RequestOptions): Task<T>
  map<T = unknown>(url: string, data?: unknown, opts?: RequestOptions): Task<T>
}

export interface RpcService {
  (url: string, opts?: RequestOptions): RpcProxy
  lb(url: string, opts?: RequestOptions): RpcProxy
  map(url: string, opts?: RequestOptions): RpcProxy
}

export interface WsService {
  (url: string, message: unknown, opts?: Pick<RequestOptions, 'headers' | 'auth'>): Task
  lb(url: string, message: unknown, opts?: Pick<RequestOptions, 'headers' | 'auth'>): Task
  map(url: string, message: unknown, opts?: Pick<RequestOptions, 'headers' | 'auth'>): Task
}

export type { DbHandle, DbService, DbTx, DbOptions } from './db/db-service.js'

export function bodylessVerb(w: Firer, method: string): BodylessVerb {
  const call = (mode: Mode) => (url: string, opts?: RequestOptions) => {
    return fire(w, method, url, null, null, true, opts, KIND_HTTP, w.defaultRequestType()[1], mode)
  }
  const f = call(MODE_LB) as BodylessVerb
  f.lb = f
  f.map = call(MODE_MAP) as BodylessVerb['map']
  return f
}

export function bodyVerb(w: Firer, method: string): BodyVerb {
  const call = (mode: Mode) => (url: string, data?: unknown, opts?: RequestOptions) => {
    const [reqType, accept] = w.defaultRequestType()
    const type = opts?.headers === undefined ? reqType : (headerValue(opts.headers, 'content-type') ?? reqType)
    const e = encodeBody(data, type)
    return fire(w, method, url, e.body, e.type, e.replayable, opts, KIND_HTTP, accept, mode)
  }
  const f = call(MODE_LB) as BodyVerb
  f.lb = f
  f.map = call(MODE_MAP) as BodyVerb['map']
  return f
}

export function uploadVerb(w: Firer): BodyVerb {
  const call = (mode: Mode) => (url: string, data?: unknown, opts?: RequestOptions) => {
    const accept = w.defaultRequestType()[1]
    let mp: ReturnType<typeof multipart>
    try {
      mp = multipart((data ?? {}) as Record<string, unknown>)
    } catch (e) {
      return failedTask(url, (e as Error).message, mode === MODE_MAP)
    }
    // A multipart stream can be read once: a .map upload would need one body per member.
    if (mode === MODE_MAP)
      return failedTask(url, 'was.upload.map is not supported: a streamed body can be sent once', true)
    return fire(w, 'POST', url, mp.body, mp.contentType, false, opts, KIND_HTTP, accept, mode)
  }
  const f = call(MODE_LB) as BodyVerb
  f.lb = f
  f.map = call(MODE_MAP) as BodyVerb['map']
  return f
}

export function rpcService(w: Firer, kind: 1 | 2): RpcService {
  const f = ((url: string, opts?: RequestOptions) => rpcProxy(w, url, opts, kind, MODE_LB)) as RpcService
  f.lb = f
  f.map = (url: string, opts?: RequestOptions) => rpcProxy(w, url, opts, kind, MODE_MAP)
  return f
}

export function wsService(w: Firer): WsService {
  const call = (mode: Mode) => (url: string, message: unknown, opts?: Pick<RequestOptions, 'headers' | 'auth'>) => {
    const t = resolveTarget(w, url)
    if (typeof t === 'string') return failedTask(url, t, mode === MODE_MAP)
    const headers: Record<string, string> = {}
    if (opts?.headers !== undefined) for (const k in opts.headers) headers[k.toLowerCase()] = String(opts.headers[k])
    if (typeof opts?.auth === 'string') headers.authorization = opts.auth
    const absolute = t.cluster === null ? t.origin.replace(/^http/, 'ws') + t.path : ''
    const members = t.cluster !== null && mode === MODE_MAP ? mapMembers(t.cluster) : [null]
    const calls = members.map((member) => {
      const txn = w.nextTxnHeaders()
      const c = new WsCall(url, { cluster: t.cluster, member, path: t.path, absolute }, message, { ...headers, ...txn })
      w.trackCall(c)
      return c
    })
    const task = new Task(calls, mode === MODE_MAP, null, null, null)
    for (const c of calls) c.start()
    return task
  }
  const f = call(MODE_LB) as WsService
  f.lb = f
  f.map = call(MODE_MAP)
  return f
}

export { dbService } from './db/db-service.js'

function headerValue(h: Record<string, string>, name: string): string | undefined {
  for (const k in h) if (k.toLowerCase() === name) return h[k]
  return undefined
}
