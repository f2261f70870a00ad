import { createSecretKey, type KeyObject } from 'node:crypto'
import type jwt from 'jsonwebtoken'
import { jsonwebtokenLib } from '../lazy-app-libs.js'
import { assertSecureKey } from '../state/iron.js'

/** The HMAC algorithms `app.jwtAlgorithms` may list; the first one signs. */
export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512'
const ALLOWED: ReadonlySet<string> = new Set(['HS256', 'HS384', 'HS512'])
export const DEFAULT_JWT_ALGORITHMS: readonly JwtAlgorithm[] = ['HS256']

/**
 * JWTs signed with `app.securekey` (jsonwebtoken). Verification pins the algorithm list to HMAC ones
 * from the app's settings, so `alg: none`, RS/ES tokens and HS tokens signed with some public key
 * are refused whatever the token's header says. The key is a secret KeyObject built once per app.
 */
export class JwtCodec {
  private readonly key: KeyObject
  private readonly algorithms: JwtAlgorithm[]

  constructor(securekey: string | undefined, algorithms: readonly string[] = DEFAULT_JWT_ALGORITHMS) {
    assertSecureKey(securekey, 'JWT (was.mkjwt/dejwt, bearer auth)')
    if (!Array.isArray(algorithms) || algorithms.length === 0) {
      throw new TypeError('app.jwtAlgorithms must list at least one of HS256, HS384, HS512')
    }
    for (const a of algorithms) {
      if (!ALLOWED.has(a)) throw new TypeError(`app.jwtAlgorithms: ${a} is not allowed (only HS256, HS384, HS512)`)
    }
    this.key = createSecretKey(Buffer.from(securekey, 'utf8'))
    this.algorithms = [...algorithms] as JwtAlgorithm[]
  }

  /** Sign `claims` (a plain object); `ttlSeconds` sets `exp`. */
  make(claims: Record<string, unknown>, ttlSeconds?: number): string {
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
      throw new TypeError('mkjwt: claims must be a plain object')
    }
    const opts: jwt.SignOptions = { algorithm: this.algorithms[0]! }
    if (ttlSeconds !== undefined) {
      if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0)
        throw new TypeError(`mkjwt: ttl must be > 0 s, not ${ttlSeconds}`)
      opts.expiresIn = Math.ceil(ttlSeconds)
    }
    return jsonwebtokenLib().sign(claims, this.key, opts)
  }

  /** The claims of a valid token, or null (bad signature, wrong algorithm, expired, malformed). */
  decode(token: string): Record<string, any> | null {
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192) return null
    try {
      const done = jsonwebtokenLib().verify(token, this.key, {
        algorithms: this.algorithms,
        clockTolerance: 5,
        complete: true,
      })
      // RFC 7515 §4.1.11: a `crit` header names extensions the recipient must understand, and this one
      // understands none (jsonwebtoken ignores the header): refuse any token that has one
      if ((done.header as unknown as Record<string, unknown>).crit !== undefined) return null
      const claims = done.payload
      return typeof claims === 'object' && claims !== null ? (claims as Record<string, any>) : null
    } catch {
      return null
    }
  }
}

/** Whether a bearer token has the three-part shape of a JWT. */
export function looksLikeJwt(token: string): boolean {
  let dots = 0
  for (let i = 0; i < token.length; i++) if (token.charCodeAt(i) === 46) dots++
  return dots === 2
}
