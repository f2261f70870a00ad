/**
 * `Task` (README "Collecting: `Task`"): what every `was` call returns. The request(s) are already on their way; the task
 * collects them: `getwait` (one result), `getswait` (a `.map` call's set), `wait`, `fetch`, `one`.
 * Collecting never rejects unless asked to (`reraise`, `wait`, `fetch`, `one`).
 */
import type { Pending as Call } from './call.js'
import { DbResult, dbFetchError } from './db/db-result.js'
import { HttpError } from './errors.js'
import type { KeySource } from './cache.js'
import { type Result, ResultSet, STATUS_DONE, STATUS_TIMEOUT } from './result.js'

export interface CollectOptions {
  /** Throw (the result's error) unless the call finished with a 2xx status. */
  reraise?: boolean
  /** Cache the result for this many seconds (`result.cache(ttl)`). */
  cache?: number
  /** Status codes worth caching (default [200]). */
  cacheIf?: readonly number[]
}

/** What `task.one()` gives: the element type for an array of rows, else the data's own type. */
export type OneOf<T> = T extends readonly (infer E)[] ? E : T

export type ResultFilter = (result: Result) => unknown

/** Calls fired at once, collected later; `T` is the data type the caller named (`was.get<T>(url)`). */
export class Task<T = unknown> {
  /** The calls, one per member for a `.map` call. Empty when answered from the cache. */
  private readonly _calls: readonly Call[]
  private readonly _map: boolean
  /** A cached Result or ResultSet answering this task without the network. */
  private readonly _cached: Result | ResultSet | null
  /** Per-call verdict of the `.map` filter (true = keep), null without a filter. */
  private readonly _keep: boolean[] | null
  private readonly _filter: ResultFilter | null
  /** What a `.map` call's set cache key is made of. */
  private readonly _keySrc: KeySource | null

  constructor(
    calls: readonly Call[],
    map: boolean,
    cached: Result | ResultSet | null,
    filter: ResultFilter | null,
    keySrc: KeySource | null,
  ) {
    this._calls = calls
    this._map = map
    this._cached = cached
    this._keySrc = keySrc
    this._filter = filter
    this._keep = null
    if (filter !== null && cached === null) {
      const keep = new Array<boolean>(calls.length).fill(false)
      this._keep = keep
      // The filter sees each result as it arrives (map-filter-reduce), not after the slowest one.
      for (let i = 0; i < calls.length; i++) {
        ;(calls[i] as Call).onFinish((r) => {
          // A throwing filter drops that result (the exception kept as its error); it must not escape
          // into the call's finish, which would skip the collector's own callback and stall getswait.
          try {
            keep[i] = Boolean(filter(r))
          } catch (e) {
            r.error ??= e as Error
          }
        })
      }
    }
  }

  /** True for a `.map` call (collect with getswait). */
  get isMap(): boolean {
    return this._map
  }

  /** Collect one result within `timeout` seconds; a call still running then is aborted (status 1). */
  async getwait(timeout = 10, opts?: CollectOptions): Promise<Result<T>> {
    if (this._map) throw new TypeError('this task is a .map call: collect it with getswait(), which gives a ResultSet')
    let r: Result
    if (this._cached !== null) r = this._cached as Result
    else {
      const call = this._calls[0] as Call
      r = (await call.wait(timeout * 1000)) ?? timedOut(call, timeout)
    }
    if (opts !== undefined) {
      if (opts.cache !== undefined && this._cached === null) r.cache(opts.cache, opts.cacheIf)
      if (opts.reraise === true) r.reraise()
    }
    return r as Result<T>
  }

  /**
   * Collect every member's result within `timeout` seconds. Members that have not answered by then
   * get status 1 (and their requests are aborted); a slow member never delays the set past `timeout`.
   */
  async getswait(timeout = 10, opts?: CollectOptions): Promise<ResultSet> {
    let set: ResultSet
    if (this._cached !== null) {
      const c = this._cached
      const all: readonly Result[] = c instanceof ResultSet ? c.all : [c]
      const f = this._filter
      set =
        f === null && c instanceof ResultSet
          ? c
          : ResultSet.build(f === null ? [...all] : all.filter((r) => f(r)), all, null)
    } else {
      const calls = this._calls
      await waitAll(calls, timeout * 1000)
      const all: Result[] = []
      const kept: Result[] = []
      for (let i = 0; i < calls.length; i++) {
        const c = calls[i] as Call
        const r = c.finished ? c.result : timedOut(c, timeout)
        all.push(r)
        if (this._keep === null || this._keep[i]) kept.push(r)
      }
      set = ResultSet.build(kept, all, this._map ? this._keySrc : null)
      if (opts?.cache !== undefined) set.cache(opts.cache, opts.cacheIf)
    }
    if (opts?.reraise === true) for (const r of set.all) r.reraise()
    return set
  }

  /** Wait for the call(s); throw if one failed or answered with a non-2xx status. */
  async wait(timeout = 10): Promise<void> {
    if (this._map) await this.getswait(timeout, { reraise: true })
    else await this.getwait(timeout, { reraise: true })
  }

  /**
   * The data, or an HttpError that becomes the current request's status: 504 when the backend timed
   * out, 502 when it failed, answered with a non-2xx status or a fault. For `.map`: an array of data.
   */
  async fetch(timeout = 10, opts?: Omit<CollectOptions, 'reraise'>): Promise<T> {
    if (this._map) {
      const set = await this.getswait(timeout, opts)
      for (const r of set.all) throwHttp(r)
      return set.data as T
    }
    const r = await this.getwait(timeout, opts)
    throwHttp(r)
    return r.data as T
  }

  /**
   * Exactly one row/record: the data when it is not an array, its only element when it is one.
   * An empty array → 404, more than one element → 409 (as HttpErrors for the current request).
   */
  async one(timeout = 10, opts?: Omit<CollectOptions, 'reraise'>): Promise<OneOf<T>> {
    const data: unknown = await this.fetch(timeout, opts)
    const rows = this._map ? (data as unknown[]).flat() : data
    if (!Array.isArray(rows)) return rows as OneOf<T>
    if (rows.length === 0) throw new HttpError(404, 'Not Found', { detail: 'the backend returned no record' })
    if (rows.length > 1)
      throw new HttpError(409, 'Conflict', { detail: `expected one record, the backend returned ${rows.length}` })
    return rows[0] as OneOf<T>
  }

  /** Abort calls not finished (the request that fired them has ended). */
  cancel(why = 'cancelled: the request ended before the result was collected'): void {
    for (const c of this._calls) c.abort(false, why)
  }
}

function timedOut(call: Call, timeout: number): Result {
  call.abort(true, `timed out after ${timeout} s`)
  return call.result
}

function waitAll(calls: readonly Call[], ms: number): Promise<void> {
  let left = 0
  for (const c of calls) if (!c.finished) left++
  if (left === 0) return Promise.resolve()
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    const one = () => {
      if (--left === 0) {
        clearTimeout(t)
        resolve()
      }
    }
    for (const c of calls) if (!c.finished) c.onFinish(one)
  })
}

function throwHttp(r: Result): void {
  if (r.ok) return
  if (r instanceof DbResult) throw dbFetchError(r)
  if (r.status === STATUS_TIMEOUT)
    throw new HttpError(504, 'Gateway Timeout', { detail: `backend ${r.url} timed out`, cause: r.error })
  const why =
    r.status !== STATUS_DONE
      ? r.reason
      : r.fault !== null
        ? `fault ${r.fault.code}: ${r.fault.message}`
        : `answered ${r.status_code} ${r.reason}`
  throw new HttpError(502, 'Bad Gateway', { detail: `backend ${r.url}: ${why}`, cause: r.error ?? undefined })
}
