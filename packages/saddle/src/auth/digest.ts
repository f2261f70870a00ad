import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { quote, safeEqual } from './users.js'

/**
 * HTTP Digest authentication (RFC 7616) with qop=auth and MD5 / SHA-256. Hand-written because none of
 * the installed libraries implements the server side; it is small and tested against curl --digest
 * and Python's urllib HTTPDigestAuthHandler.
 *
 * Nonces are stateless to verify (an HMAC over issue time + random bytes), so any worker can check
 * a nonce another one issued; each worker also remembers the highest nonce count (nc) it has seen
 * per nonce, so a replayed request is refused. An expired nonce with a correct digest gets
 * `stale=true`, telling the client to retry with a new nonce without asking the user again.
 */

export type DigestAlgorithm = 'MD5' | 'SHA-256'
export const DEFAULT_DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'SHA-256']
const HASH: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256' }

export type NonceVerdict = 'ok' | 'stale' | 'invalid'

/** Issues nonces and checks them with their nonce counts. One per app. */
export class NonceStore {
  private readonly secret: Buffer
  private readonly lifetimeMs: number
  private readonly maxTracked: number
  /** nonce → highest nc accepted; insertion order ≈ issue order (oldest first). */
  private readonly seen = new Map<string, number>()
  /** Nonces issued at or before this time that are no longer tracked count as stale (see evict). */
  private floorMs = 0
  readonly opaque: string

  constructor(secret: string | Buffer | undefined, lifetimeSeconds = 300, maxTracked = 10_000) {
    this.secret = secret === undefined ? randomBytes(32) : createHash('sha256').update(secret).digest()
    this.lifetimeMs = lifetimeSeconds * 1000
    this.maxTracked = maxTracked
    this.opaque = createHmac('sha256', this.secret).update('opaque').digest('base64url').slice(0, 22)
  }

  issue(now = Date.now()): string {
    const body = Buffer.alloc(16)
    body.writeUIntBE(now, 0, 6)
    randomBytes(10).copy(body, 6)
    const nonce = Buffer.concat([body, this.mac(body)]).toString('base64url')
    this.track(nonce, 0, now)
    return nonce
  }

  /** Checks a nonce and its count (hex string); an accepted count is remembered. */
  check(nonce: string, ncHex: string, now = Date.now()): NonceVerdict {
    const issued = this.issuedAt(nonce)
    if (issued < 0) return 'invalid'
    if (now - issued > this.lifetimeMs) return 'stale'
    if (!/^[0-9a-fA-F]{8}$/.test(ncHex)) return 'invalid'
    const nc = Number.parseInt(ncHex, 16)
    const last = this.seen.get(nonce)
    if (last === undefined) {
      // Evicted (under load) or issued by another worker: evicted ones are refused as stale.
      if (issued <= this.floorMs) return 'stale'
    } else if (nc <= last) {
      return 'stale' // a replayed (or reordered) request: the client retries with a fresh nonce
    }
    this.track(nonce, nc, now)
    return 'ok'
  }

  /** Issue time (ms) of an authentic nonce, or -1. */
  private issuedAt(nonce: string): number {
    if (typeof nonce !== 'string' || nonce.length !== 43) return -1
    const raw = Buffer.from(nonce, 'base64url')
    if (raw.length !== 32) return -1
    const body = raw.subarray(0, 16)
    if (!timingSafeEqual(raw.subarray(16), this.mac(body))) return -1
    return body.readUIntBE(0, 6)
  }

  private mac(body: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(body).digest().subarray(0, 16)
  }

  private track(nonce: string, nc: number, now: number): void {
    this.seen.delete(nonce)
    this.seen.set(nonce, nc)
    if (this.seen.size <= this.maxTracked) return
    // Drop expired entries first, then the oldest; remember how far we dropped.
    for (const [n] of this.seen) {
      const t = this.issuedAt(n)
      if (this.seen.size <= this.maxTracked && now - t <= this.lifetimeMs) break
      this.seen.delete(n)
      if (t > this.floorMs) this.floorMs = t
    }
  }
}

/**
 * The auth-params of an `Authorization: Digest …` header (quoted strings with backslash escapes,
 * or tokens), lower-case names; null when it is not a well-formed Digest header.
 */
export function parseDigest(header: string | undefined): Record<string, string> | null {
  if (header === undefined || header.length > 8192 || header.slice(0, 7).toLowerCase() !== 'digest ') return null
  const out: Record<string, string> = Object.create(null)
  const s = header
  let i = 7
  const n = s.length
  while (i < n) {
    while (i < n && (s[i] === ' ' || s[i] === ',' || s[i] === '\t')) i++
    if (i >= n) break
    const eq = s.indexOf('=', i)
    if (eq < 0) return null
    const name = s.slice(i, eq).trim().toLowerCase()
    if (!/^[a-z0-9_*-]+$/.test(name)) return null
    i = eq + 1
    while (i < n && s[i] === ' ') i++
    let value = ''
    if (s[i] === '"') {
      i++
      while (i < n && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < n) i++
        value += s[i]
        i++
      }
      if (i >= n) return null
      i++
    } else {
      const end = s.indexOf(',', i)
      value = (end < 0 ? s.slice(i) : s.slice(i, end)).trim()
      i = end < 0 ? n : end
    }
    out[name] = value
  }
  return out
}

/** One challenge per algorithm, in preference order, sharing one nonce. */
export function digestChallenges(
  realm: string,
  nonce: string,
  opaque: string,
  algorithms: readonly DigestAlgorithm[],
  stale: boolean,
): string[] {
  return algorithms.map(
    (a) =>
      `Digest realm=${quote(realm)}, qop="auth", algorithm=${a}, nonce="${nonce}", opaque="${opaque}"` +
      (stale ? ', stale=true' : ''),
  )
}

export interface DigestRequest {
  method: string
  /** The request-target as received (path and query). */
  uri: string
}

/** Field checks that need no password; returns the algorithm, or null when the header is unusable. */
export function digestShape(
  p: Record<string, string>,
  realm: string,
  opaque: string,
  allowed: readonly DigestAlgorithm[],
  req: DigestRequest,
): DigestAlgorithm | null {
  const alg = (p.algorithm ?? 'MD5').toUpperCase() as DigestAlgorithm
  if (!allowed.includes(alg)) return null
  if (p.username === undefined || p.nonce === undefined || p.response === undefined || p.uri === undefined) return null
  if (p.realm !== realm || p.qop !== 'auth' || p.cnonce === undefined || p.nc === undefined) return null
  if (p.opaque !== undefined && p.opaque !== opaque) return null
  // The digest covers `uri`; it must be this request's target, or a captured header could be replayed elsewhere.
  if (p.uri !== req.uri) return null
  return alg
}

/** Whether `response` is right for this password (RFC 7616 §3.4.1, qop=auth). */
export function digestMatches(
  p: Record<string, string>,
  alg: DigestAlgorithm,
  password: string,
  req: DigestRequest,
): boolean {
  const h = (s: string) => createHash(HASH[alg]).update(s, 'utf8').digest('hex')
  const ha1 = h(`${p.username}:${p.realm}:${password}`)
  const ha2 = h(`${req.method}:${p.uri}`)
  const expected = h(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`)
  return safeEqual(expected, (p.response ?? '').toLowerCase())
}
