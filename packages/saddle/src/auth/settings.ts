import { type CorsPolicy, compileCors } from './cors.js'
import { DEFAULT_DIGEST_ALGORITHMS, type DigestAlgorithm, NonceStore } from './digest.js'
import { DEFAULT_JWT_ALGORITHMS, JwtCodec } from './jwt.js'
import type { AuthorizationHandler } from './users.js'

export type AuthScheme = 'basic' | 'digest' | 'bearer'

/** `app.bearerHandler((was, token) => undefined | 'error text')`, may be async. */
export type BearerHandler<W = any> = (was: W, token: string) => unknown

/**
 * The app settings the security checks read (README "Cookies, sessions, tokens, auth, CORS"): properties
 * of a Saddle app; packages inherit the app's.
 * Everything is optional; defaults are in `settingsOf`.
 */
export interface SecuritySettings {
  securekey?: string | null
  sessionTimeout?: number
  realm?: string
  users?: Record<string, string> | null
  authenticate?: AuthScheme | null | false
  accessControlAllowOrigin?: readonly string[] | null
  accessControlMaxAge?: number
  /** HMAC algorithms accepted for JWTs, the first one signs (default ['HS256']). */
  jwtAlgorithms?: readonly string[]
  /** Digest challenges offered, in preference order (default ['MD5', 'SHA-256'] for client compatibility). */
  digestAlgorithms?: readonly DigestAlgorithm[]
  /** Seconds a digest nonce stays valid (default 300). */
  digestNonceTimeout?: number
  /** @internal set by `app.authorizationHandler(fn)` */
  authorizationFn?: AuthorizationHandler | null
  /** @internal set by `app.bearerHandler(fn)` */
  bearerFn?: BearerHandler | null
}

/**
 * Objects built once per app from its settings (JWT key, digest nonce store, CORS policy), rebuilt
 * only if the setting they come from is replaced.
 */
export class AppSecurity {
  private jwtCodec: JwtCodec | null = null
  private jwtFrom: unknown = null
  private nonceStore: NonceStore | null = null
  private corsPolicy: CorsPolicy | null = null
  private corsFrom: unknown = null

  constructor(private readonly app: SecuritySettings) {}

  jwt(): JwtCodec {
    const a = this.app
    const from = `${a.securekey}\0${(a.jwtAlgorithms ?? DEFAULT_JWT_ALGORITHMS).join(',')}`
    if (this.jwtCodec === null || this.jwtFrom !== from) {
      this.jwtCodec = new JwtCodec(a.securekey ?? undefined, a.jwtAlgorithms ?? DEFAULT_JWT_ALGORITHMS)
      this.jwtFrom = from
    }
    return this.jwtCodec
  }

  /** Keyed by securekey when set, so every worker of the service accepts the others' nonces. */
  nonces(): NonceStore {
    if (this.nonceStore === null) {
      const key = this.app.securekey
      this.nonceStore = new NonceStore(
        typeof key === 'string' && key !== '' ? `digest:${key}` : undefined,
        this.app.digestNonceTimeout ?? 300,
      )
    }
    return this.nonceStore
  }

  /** The app-wide CORS policy. */
  cors(): CorsPolicy {
    const from = this.app.accessControlAllowOrigin
    if (this.corsPolicy === null || this.corsFrom !== from) {
      this.corsPolicy = compileCors(from, this.app.accessControlMaxAge ?? 0)
      this.corsFrom = from
    }
    return this.corsPolicy
  }

  get realm(): string {
    return this.app.realm ?? 'skitai'
  }

  get digestAlgorithms(): readonly DigestAlgorithm[] {
    return this.app.digestAlgorithms ?? DEFAULT_DIGEST_ALGORITHMS
  }

  get settings(): SecuritySettings {
    return this.app
  }
}

const cache = new WeakMap<object, AppSecurity>()

export function securityOf(app: object): AppSecurity {
  let s = cache.get(app)
  if (s === undefined) cache.set(app, (s = new AppSecurity(app as SecuritySettings)))
  return s
}
