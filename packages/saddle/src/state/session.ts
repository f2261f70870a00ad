import { randomUUID } from 'node:crypto'
import { sharedState } from '@skitai/was'
import type { CookieJar } from './cookie.js'
import { assertSecureKey, seal, unsealSync } from './iron.js'

/** What a session needs from the request; SaddleWas provides it (tests can build one by hand). */
export interface SessionHost {
  readonly jar: CookieJar
  /** `app.securekey`; checked on first use. */
  readonly securekey: string | undefined
  /** `app.sessionTimeout` in seconds. */
  readonly timeout: number
  /** The app's mount point, the default cookie path. */
  readonly path: string
  /** Whether the request came over TLS (the cookie then gets `Secure`). */
  readonly secure: boolean
  clientAddress(): string
}

export interface SessionMountOptions {
  path?: string
  timeout?: number
}

export const DEFAULT_SESSION_TIMEOUT = 1200
export const SESSION_COOKIE = 'SKITAI_SESSION'
/** Browsers drop Set-Cookie lines over 4096 bytes (iron-session refuses them too). */
const MAX_COOKIE_BYTES = 4096

/**
 * Shared-state key of a revoked session id (saddle README "Sessions"): `expire()` writes it, for as
 * long as any copy of that session's cookie can still be valid, in every process (workers; hosts with Redis).
 */
export const REVOKED_SESSION_PREFIX = 'rs:'

const CLEAN = 0
const DIRTY = 1
const EXPIRED = 2

/**
 * The sealed payload: user data, framework data (mbox, csrf, tokens), expiry (epoch s), issued-to
 * address, session id (kept by every re-issue, new after expire(); what revocation names).
 */
interface Payload {
  d: Record<string, unknown>
  s: Record<string, unknown>
  e: number
  a: string
  i?: string
}

/**
 * `was.session`: a sealed cookie (iron-session's format), opened on first use and written back only
 * when something changed. Reads never extend it; `touch()` does.
 */
export class Session {
  private readonly host: SessionHost
  private readonly cookieName: string
  private readonly path: string
  private readonly timeout: number
  private data: Map<string, unknown> | null
  /** Framework-owned entries (flash messages, CSRF token, token ids), hidden from keys()/entries(). */
  private sys: Map<string, unknown> | null
  private issuedTo: string
  /** The session id ('' until the session holds something). */
  private id: string
  private state: number
  private named: Map<string, Session> | null

  constructor(host: SessionHost, cookieName = SESSION_COOKIE, path?: string, timeout?: number) {
    this.host = host
    this.cookieName = cookieName
    this.path = path ?? host.path ?? '/'
    this.timeout = timeout ?? host.timeout ?? DEFAULT_SESSION_TIMEOUT
    this.data = null
    this.sys = null
    this.issuedTo = ''
    this.id = ''
    this.state = CLEAN
    this.named = null
  }

  /**
   * The value stored under `key`, else `defaultValue`. `get<T>(key)` is `T | undefined`; with a default
   * it is `T` (the type is what you tell it: sessions hold what the app put there).
   */
  get<T = unknown>(key: string): T | undefined
  get<T>(key: string, defaultValue: T): T
  get(key: string, defaultValue?: unknown): unknown {
    const d = this.load()
    return d.has(key) ? d.get(key) : defaultValue
  }

  /** Like get, but only when the session was issued to the current client address. */
  getv<T = unknown>(key: string): T | undefined
  getv<T>(key: string, defaultValue: T): T
  getv(key: string, defaultValue?: unknown): unknown {
    const d = this.load()
    if (this.issuedTo !== this.host.clientAddress()) return defaultValue
    return d.has(key) ? d.get(key) : defaultValue
  }

  set(key: string, value: unknown): void {
    if (value === undefined) {
      this.remove(key)
      return
    }
    this.load().set(key, value)
    this.changed()
  }

  remove(key: string): void {
    if (this.load().delete(key)) this.changed()
  }

  has(key: string): boolean {
    return this.load().has(key)
  }

  keys(): string[] {
    return [...this.load().keys()]
  }

  values(): unknown[] {
    return [...this.load().values()]
  }

  entries(): [string, unknown][] {
    return [...this.load().entries()]
  }

  /** Remove every user value (flash messages and the CSRF token stay). */
  clear(): void {
    const d = this.load()
    if (d.size === 0) return
    d.clear()
    this.changed()
  }

  /** Re-issue the cookie with a fresh expiry even though nothing changed. */
  touch(): void {
    this.load()
    this.changed()
  }

  /**
   * End the session: everything is dropped, the cookie deleted, and the session id revoked in every
   * process, so a copy of the old cookie replayed later opens an empty session.
   */
  expire(): void {
    this.load()
    // Every copy of this session's cookie expires within `timeout` from now (each re-issue moved it).
    if (this.id !== '') sharedState().set(REVOKED_SESSION_PREFIX + this.id, 1, this.timeout * 1000)
    this.id = ''
    this.data = new Map()
    this.sys = new Map()
    this.issuedTo = ''
    this.state = EXPIRED
  }

  /** A separate named session in its own cookie, e.g. for an admin area with a shorter timeout. */
  mount(name: string, options: SessionMountOptions = {}): Session {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new TypeError(`session name must be [A-Za-z0-9_-]+, not ${name}`)
    this.named ??= new Map()
    let s = this.named.get(name)
    if (s === undefined) {
      s = new Session(
        this.host,
        `${this.cookieName}_${name}`,
        options.path ?? this.path,
        options.timeout ?? this.timeout,
      )
      this.named.set(name, s)
    }
    return s
  }

  /** @internal framework data (mbox, csrf, tokens). */
  getSys(key: string): unknown {
    this.load()
    return this.sys!.get(key)
  }

  /** @internal */
  setSys(key: string, value: unknown): void {
    this.load()
    if (value === undefined) {
      if (!this.sys!.delete(key)) return
    } else this.sys!.set(key, value)
    this.changed()
  }

  /** Whether the handler opened this session (or a named one). */
  get opened(): boolean {
    return this.data !== null || this.named !== null
  }

  /** Write Set-Cookie into the jar if anything changed; called once, right before headers go out. */
  async commit(): Promise<void> {
    if (this.named !== null) for (const s of this.named.values()) await s.commit()
    if (this.state === CLEAN) return
    const hadCookie = this.host.jar.requestValue(this.cookieName) !== undefined
    const empty = this.data!.size === 0 && this.sys!.size === 0
    if (this.state === EXPIRED || empty) {
      if (hadCookie) this.host.jar.remove(this.cookieName, { path: this.path })
      return
    }
    const payload: Payload = {
      d: Object.fromEntries(this.data!),
      s: Object.fromEntries(this.sys!),
      e: Math.floor(Date.now() / 1000) + this.timeout,
      a: this.issuedTo,
      i: this.id,
    }
    const sealed = await seal(payload, this.host.securekey!, this.timeout)
    if (sealed.length + this.cookieName.length > MAX_COOKIE_BYTES - 200) {
      throw new Error(
        `session ${this.cookieName} is too big for a cookie (${sealed.length} bytes sealed); store ids, not data`,
      )
    }
    this.host.jar.set(this.cookieName, sealed, {
      path: this.path,
      expires: this.timeout,
      httpOnly: true,
      sameSite: 'lax',
      secure: this.host.secure,
    })
  }

  private changed(): void {
    // Also after expire(): a value set afterwards starts a new session.
    this.state = DIRTY
    if (this.issuedTo === '') this.issuedTo = this.host.clientAddress()
    if (this.id === '') this.id = randomUUID()
  }

  private load(): Map<string, unknown> {
    if (this.data !== null) return this.data
    assertSecureKey(this.host.securekey, 'was.session')
    this.data = new Map()
    this.sys = new Map()
    const raw = this.host.jar.requestValue(this.cookieName)
    if (raw === undefined || raw === '') return this.data
    const p = unsealSync(raw, this.host.securekey) as Payload | undefined
    // Tampered, foreign (another key), expired or malformed: an empty session, no error.
    if (
      p === undefined ||
      p === null ||
      typeof p !== 'object' ||
      typeof p.e !== 'number' ||
      p.e * 1000 <= Date.now() ||
      typeof p.d !== 'object' ||
      p.d === null ||
      (typeof p.i === 'string' && sharedState().get(REVOKED_SESSION_PREFIX + p.i) !== undefined)
    ) {
      return this.data
    }
    if (typeof p.i === 'string') this.id = p.i
    for (const k of Object.keys(p.d)) this.data.set(k, p.d[k])
    if (typeof p.s === 'object' && p.s !== null) for (const k of Object.keys(p.s)) this.sys.set(k, p.s[k])
    this.issuedTo = typeof p.a === 'string' ? p.a : ''
    return this.data
  }
}
