import { parse, type SerializeOptions, serialize } from 'cookie'

/** Options of `was.cookie.set`. */
export interface CookieOptions {
  /** Default: the app's mount point ('/' for the root). */
  path?: string
  domain?: string
  /** Seconds from now; `'never'` = as long as browsers keep cookies; `0` = delete now. Absent = session cookie. */
  expires?: number | 'never'
  secure?: boolean
  httpOnly?: boolean
  sameSite?: 'strict' | 'lax' | 'none' | boolean
}

/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis), so 'never' asks for exactly that. */
const NEVER_SECONDS = 400 * 24 * 3600
const EPOCH = new Date(0)

/**
 * `was.cookie`: the request's cookies (parsed on first read) plus the cookies set during the request.
 * Sets are kept as one serialized `Set-Cookie` line per name (last wins) and written by
 * `setCookieHeaders()` when the response is committed.
 */
export class CookieJar {
  private readonly header: string | undefined
  private readonly defaultPath: string
  /** The request's cookies, parsed on first read. */
  private received: Map<string, string> | null
  /** `received` plus this request's sets/removes; copied from it on the first write. */
  private view: Map<string, string> | null
  /** Name → serialized Set-Cookie line; null until the first set. */
  private pending: Map<string, string> | null

  constructor(cookieHeader: string | undefined, defaultPath = '/') {
    this.header = cookieHeader
    this.defaultPath = defaultPath || '/'
    this.received = null
    this.view = null
    this.pending = null
  }

  /** The value the client sent, ignoring sets made during this request (sessions read this). */
  requestValue(name: string): string | undefined {
    return this.parsed().get(name)
  }

  get(name: string): string | undefined {
    return this.current().get(name)
  }

  has(name: string): boolean {
    return this.current().has(name)
  }

  keys(): string[] {
    return [...this.current().keys()]
  }

  values(): string[] {
    return [...this.current().values()]
  }

  entries(): [string, string][] {
    return [...this.current().entries()]
  }

  set(name: string, value: string, options: CookieOptions = {}): void {
    const opts: SerializeOptions = { path: options.path ?? this.defaultPath }
    if (options.domain !== undefined) opts.domain = options.domain
    if (options.secure) opts.secure = true
    if (options.httpOnly) opts.httpOnly = true
    if (options.sameSite !== undefined) opts.sameSite = options.sameSite
    const expires = options.expires
    if (expires !== undefined) {
      if (expires === 'never') opts.maxAge = NEVER_SECONDS
      else if (typeof expires === 'number' && Number.isFinite(expires) && expires >= 0)
        opts.maxAge = Math.floor(expires)
      else throw new TypeError(`cookie ${name}: expires must be seconds >= 0 or 'never', not ${String(expires)}`)
      opts.expires = opts.maxAge === 0 ? EPOCH : new Date(Date.now() + opts.maxAge * 1000)
    }
    // serialize validates name, value, path and domain (cookie >= 0.7 rejects injection attempts).
    const line = serialize(name, String(value), opts)
    this.pending ??= new Map()
    this.pending.set(name, line)
    this.view ??= new Map(this.parsed())
    if (opts.maxAge === 0) this.view.delete(name)
    else this.view.set(name, String(value))
  }

  /** Delete a cookie at the client (use the same path/domain it was set with). */
  remove(name: string, options: Pick<CookieOptions, 'path' | 'domain'> = {}): void {
    this.set(name, '', { ...options, expires: 0 })
  }

  /** Delete every cookie the client sent (at the default path) and forget this request's sets. */
  clear(): void {
    this.pending = null
    for (const name of this.parsed().keys()) this.remove(name)
    this.view = new Map()
  }

  /** Whether anything must be written. */
  get dirty(): boolean {
    return this.pending !== null && this.pending.size > 0
  }

  /** The Set-Cookie lines to write, one per name. */
  setCookieHeaders(): string[] {
    return this.pending === null ? [] : [...this.pending.values()]
  }

  private parsed(): Map<string, string> {
    if (this.received !== null) return this.received
    const out = new Map<string, string>()
    if (this.header) {
      const obj = parse(this.header)
      for (const k in obj) {
        const v = obj[k]
        if (v !== undefined) out.set(k, v)
      }
    }
    this.received = out
    return out
  }

  private current(): Map<string, string> {
    return this.view ?? this.parsed()
  }
}
