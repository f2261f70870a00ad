import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto'
import { ironSessionLib } from '../lazy-app-libs.js'

/**
 * Sealed (encrypted + authenticated) values in iron-session 8's format ("Fe26.2*…~2").
 *
 * Sealing uses iron-session's own `sealData`. Opening is done here synchronously with node:crypto,
 * because iron-session (through iron-webcrypto) only offers an async WebCrypto `unsealData`: a sync
 * open is what lets `was.session.get()`, `was.csrfToken` and `was.detoken()` stay plain synchronous
 * calls, usable in templates, and still be lazy (nothing is opened unless a handler asks). The steps
 * mirror iron-webcrypto's `unseal` with iron-session's defaults (AES-256-CBC, HMAC-SHA256, PBKDF2-SHA1
 * with 1 iteration over a 256-bit random salt); test/session.test.ts checks both directions against
 * iron-session's sealData/unsealData.
 */

const PREFIX = 'Fe26.2'
const VERSION_SUFFIX = '~2'
/** iron's allowance for clock differences when checking its own expiry. */
const SKEW_MS = 60_000

export const MIN_KEY_LENGTH = 32

/** Seal any JSON value; `ttlSeconds` 0 = no expiry inside the seal. */
export function seal(data: unknown, password: string, ttlSeconds: number): Promise<string> {
  return ironSessionLib().sealData(data, { password, ttl: ttlSeconds })
}

/**
 * Open a seal made by `seal` (or iron-session) with `password`. Anything wrong — malformed,
 * tampered, expired, sealed with another password — gives `undefined`, never an exception.
 */
export function unsealSync(sealed: string, password: string, now = Date.now()): unknown {
  if (typeof sealed !== 'string' || sealed.length > 8192) return undefined
  const tilde = sealed.lastIndexOf('~')
  if (tilde < 0 || sealed.slice(tilde) !== VERSION_SUFFIX) return undefined
  const parts = sealed.slice(0, tilde).split('*')
  if (parts.length !== 8) return undefined
  const [prefix, passwordId, encSalt, encIv, encrypted, expiration, hmacSalt, hmac] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ]
  // iron-session seals a plain string password under id "1" (its unsealData accepts no other id).
  if (prefix !== PREFIX || passwordId !== '1') return undefined
  if (expiration !== '') {
    if (!/^\d+$/.test(expiration) || Number(expiration) <= now - SKEW_MS) return undefined
  }
  const macBase = `${prefix}*${passwordId}*${encSalt}*${encIv}*${encrypted}*${expiration}`
  const macKey = pbkdf2Sync(password, hmacSalt, 1, 32, 'sha1')
  // Compare the base64url text, as iron does: decoding `hmac` first would be lenient (Node skips
  // characters outside the alphabet and ignores the spare bits of the last one), so several spellings
  // of one seal would be accepted.
  const expected = Buffer.from(createHmac('sha256', macKey).update(macBase).digest('base64url'))
  const given = Buffer.from(hmac)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
  try {
    const key = pbkdf2Sync(password, encSalt, 1, 32, 'sha1')
    const decipher = createDecipheriv('aes-256-cbc', key, Buffer.from(encIv, 'base64url'))
    const text = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64url')), decipher.final()]).toString(
      'utf8',
    )
    return text ? JSON.parse(text) : undefined
  } catch {
    return undefined
  }
}

/** The clear error for a missing or short `app.securekey`, thrown at mount or at first use. */
export function assertSecureKey(key: unknown, what: string): asserts key is string {
  if (typeof key !== 'string' || key.length < MIN_KEY_LENGTH) {
    throw new Error(
      `${what} needs app.securekey: a random secret of at least ${MIN_KEY_LENGTH} characters ` +
        `(e.g. crypto.randomBytes(32).toString('base64')); it is ${
          typeof key === 'string' ? `${key.length} characters long` : 'not set'
        }`,
    )
  }
}
