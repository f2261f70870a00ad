/**
 * `Result` and `ResultSet` (README "Collecting: `Task`"). `status` is how the call ended (0 not finished, 1 timed out,
 * 2 failed, 3 finished whatever the HTTP status); `status_code` is the HTTP status, or a 7xx code
 * telling why there is none (see FAIL_* below).
 */
import { cacheSet, type KeySource, keyOf } from './cache.js'
import type { Fault } from './codecs.js'

export const STATUS_PENDING = 0
export const STATUS_TIMEOUT = 1
export const STATUS_FAILED = 2
export const STATUS_DONE = 3
export type ResultStatus = 0 | 1 | 2 | 3

/** 7xx codes in `status_code` when no HTTP status exists. */
export const FAIL_OTHER = 700
/** Connection refused, host unreachable, connect timeout, or every member of the alias down. */
export const FAIL_CONNECT = 701
/** The connection was reset or closed before the response was complete. */
export const FAIL_CLOSED = 702
/** The host name could not be resolved. */
export const FAIL_DNS = 703
/** Bad URL or unknown alias: nothing was sent. */
export const FAIL_URL = 704
/** The response arrived but its body could not be decoded (invalid JSON, malformed XML-RPC…). */
export const FAIL_DECODE = 705
/** Cancelled because the request that fired it ended without collecting it (`was.close()`). */
export const FAIL_CANCELLED = 707
/** Timed out (`getwait` timeout or the call's own `timeout`). */
export const FAIL_TIMEOUT = 730

const EMPTY_HEADERS: Readonly<Record<string, string | string[]>> = Object.freeze({})

/** One call's outcome; `T` is the decoded data's type when the caller names it (`was.get<T>(url)`). */
export class Result<T = unknown> {
  status: ResultStatus
  status_code: number
  reason: string
  headers: Readonly<Record<string, string | string[] | undefined>>
  /** The decoded body (README "Collecting results"); null when there was none or the call failed. */
  data: T | null
  error: Error | null
  fault: Fault | null
  /** The URL called (`@alias/path` as given, or the absolute URL). */
  readonly url: string
  /** The member that answered ('host:port'), null for absolute URLs or when none did. */
  member: string | null
  /** The raw response body (null when there was none). */
  body: Buffer | null
  /** What the cache key is made of; null when this result is not cacheable on its own (a `.map` member). */
  private readonly _keySrc: KeySource | null
  private _key: string | null | undefined

  constructor(url: string, keySrc: KeySource | null) {
    this.status = STATUS_PENDING
    this.status_code = 0
    this.reason = ''
    this.headers = EMPTY_HEADERS
    this.data = null
    this.error = null
    this.fault = null
    this.url = url
    this.member = null
    this.body = null
    this._keySrc = keySrc
    this._key = keySrc === null ? null : undefined
  }

  /** Cache key of the call; null when it cannot be cached (a streamed body, a `.map` member). */
  get key(): string | null {
    if (this._key === undefined) this._key = keyOf(this._keySrc as KeySource, false)
    return this._key
  }

  /** The body as UTF-8 text ('' when there was none). */
  get text(): string {
    return this.body === null ? '' : this.body.toString('utf8')
  }

  /** True when the call finished with a 2xx status and no fault. */
  get ok(): boolean {
    return this.status === STATUS_DONE && this.status_code >= 200 && this.status_code < 300 && this.fault === null
  }

  /** Throw unless the call finished with a 2xx status and no fault; returns the result otherwise. */
  reraise(): this {
    if (this.ok) return this
    throw this.asError()
  }

  /** The failure as an Error (with `status`, `status_code` and `cause`), for reraise/wait. */
  asError(): Error & { result: Result } {
    let msg: string
    if (this.status === STATUS_TIMEOUT) msg = `${this.url}: timed out`
    else if (this.status === STATUS_FAILED) msg = `${this.url}: ${this.reason}`
    else if (this.status === STATUS_PENDING) msg = `${this.url}: not finished`
    else if (this.fault !== null) msg = `${this.url}: fault ${this.fault.code}: ${this.fault.message}`
    else msg = `${this.url}: HTTP ${this.status_code} ${this.reason}`
    const e = new Error(msg, this.error === null ? undefined : { cause: this.error }) as Error & { result: Result }
    e.result = this
    return e
  }

  /**
   * Store this result for `ttlSeconds` so the same call (method, URL, body, alias) is answered from
   * memory. Only finished results whose status code is in `cacheIf` (default [200]) are stored.
   */
  cache(ttlSeconds = 60, cacheIf: readonly number[] = [200]): this {
    if (this.status === STATUS_DONE && this.fault === null && cacheIf.includes(this.status_code)) {
      const key = this.key
      if (key !== null) cacheSet(key, this, ttlSeconds)
    }
    return this
  }
}

/** The results of a `.map` call, one per member in member order (those the filter kept). */
export class ResultSet extends Array<Result> {
  /** What the set's cache key is made of (null: not cacheable). */
  keySrc: KeySource | null = null
  /** Every member's result before the filter (what `cache` checks). */
  all: readonly Result[] = this

  // Array methods (filter, map, …) give plain arrays, not ResultSets.
  static override get [Symbol.species](): ArrayConstructor {
    return Array
  }

  static build(results: Result[], all: readonly Result[], keySrc: KeySource | null): ResultSet {
    const s = new ResultSet()
    for (const r of results) s.push(r)
    s.keySrc = keySrc
    s.all = all
    return s
  }

  get status_code(): number[] {
    return Array.prototype.map.call(this, (r: Result) => r.status_code) as number[]
  }

  get data(): unknown[] {
    return Array.prototype.map.call(this, (r: Result) => r.data) as unknown[]
  }

  /** Cache the whole set, only when every member finished with a code in `cacheIf`. */
  cache(ttlSeconds = 60, cacheIf: readonly number[] = [200]): this {
    if (this.keySrc === null || this.length === 0) return this
    for (const r of this.all) {
      if (r.status !== STATUS_DONE || r.fault !== null || !cacheIf.includes(r.status_code)) return this
    }
    const key = keyOf(this.keySrc, true)
    if (key !== null) cacheSet(key, this, ttlSeconds)
    return this
  }
}
