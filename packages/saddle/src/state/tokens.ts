import { randomBytes } from 'node:crypto'
import { assertSecureKey, seal, unsealSync } from './iron.js'
import type { Session } from './session.js'

/**
 * One-time tokens (`was.mktoken/detoken/rmtoken`): a sealed object with its own expiry, e.g. for a
 * password-reset link. With a `sessionKey` the token's id is also recorded in the session under that
 * key, so the token only works while the session still holds it: `rmtoken` (or a newer token under
 * the same key) revokes it.
 */

interface TokenPayload {
  t: 'tok'
  o: unknown
  e: number
  k: string | null
  i: string
}

const SYS_KEY = 'tokens'

export async function makeToken(
  key: string | undefined,
  session: () => Session,
  obj: unknown,
  timeoutSeconds: number,
  sessionKey?: string,
): Promise<string> {
  assertSecureKey(key, 'was.mktoken')
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new TypeError(`mktoken: timeout must be seconds > 0, not ${timeoutSeconds}`)
  }
  const id = randomBytes(9).toString('base64url')
  const payload: TokenPayload = {
    t: 'tok',
    o: obj,
    e: Math.floor(Date.now() / 1000) + Math.ceil(timeoutSeconds),
    k: sessionKey ?? null,
    i: id,
  }
  if (sessionKey !== undefined) {
    const s = session()
    const ids = { ...((s.getSys(SYS_KEY) as Record<string, string> | undefined) ?? {}) }
    ids[sessionKey] = id
    s.setSys(SYS_KEY, ids)
  }
  return seal(payload, key, Math.ceil(timeoutSeconds))
}

function open(key: string | undefined, token: string): TokenPayload | null {
  assertSecureKey(key, 'was.detoken')
  if (typeof token !== 'string' || token === '') return null
  const p = unsealSync(token, key) as TokenPayload | undefined
  if (p === undefined || p === null || typeof p !== 'object' || p.t !== 'tok') return null
  if (typeof p.e !== 'number' || p.e * 1000 <= Date.now()) return null
  return p
}

/** The object sealed in the token, or null when it is bad, expired or revoked. */
export function readToken(key: string | undefined, session: () => Session, token: string): unknown {
  const p = open(key, token)
  if (p === null) return null
  if (p.k !== null) {
    const ids = session().getSys(SYS_KEY) as Record<string, string> | undefined
    if (ids === undefined || ids[p.k] !== p.i) return null
  }
  return p.o
}

/** Revoke a session-bound token; returns whether there was something to revoke. */
export function removeToken(key: string | undefined, session: () => Session, token: string): boolean {
  const p = open(key, token)
  if (p === null || p.k === null) return false
  const s = session()
  const ids = s.getSys(SYS_KEY) as Record<string, string> | undefined
  if (ids === undefined || ids[p.k] !== p.i) return false
  const rest = { ...ids }
  delete rest[p.k]
  s.setSys(SYS_KEY, Object.keys(rest).length ? rest : undefined)
  return true
}
