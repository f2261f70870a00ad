import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Session } from '../state/session.js'

/**
 * CSRF protection with a per-session synchronizer token: `was.csrfToken` creates it on first use and
 * keeps it in the session; a form sends it back as `_csrf_token` (or `XSRF_TOKEN`), a script as the
 * `X-XSRF-TOKEN` header; route option `csrfVerify: true` rejects a missing or wrong one with 400.
 */

export const CSRF_FIELDS = ['_csrf_token', 'XSRF_TOKEN'] as const
export const CSRF_HEADER = 'x-xsrf-token'
const SYS_KEY = 'csrf'

export function csrfToken(session: Session): string {
  let t = session.getSys(SYS_KEY) as string | undefined
  if (typeof t !== 'string') {
    t = randomBytes(24).toString('base64url')
    session.setSys(SYS_KEY, t)
  }
  return t
}

/** A hidden form field carrying the token (base64url needs no HTML escaping). */
export function csrfTokenInput(session: Session): string {
  return `<input type="hidden" name="_csrf_token" value="${csrfToken(session)}">`
}

/**
 * The token a request sent: the header first, then the body's fields. `args` must be the body's
 * arguments (form or JSON fields, or an RPC call's arguments) — never the query string, which leaks
 * into access logs and Referer headers. The token fields are removed from `args` so handlers that take
 * exactly their own parameters do not see an unexpected `_csrf_token` (call it with the merged
 * arguments and no header to strip a copy sent in the query).
 */
export function takeSentToken(header: string | undefined, args: Record<string, unknown> | null): string | undefined {
  let sent: unknown = header
  if (args !== null) {
    for (const f of CSRF_FIELDS) {
      if (f in args) {
        if (sent === undefined || sent === '') sent = args[f]
        delete args[f]
      }
    }
  }
  if (Array.isArray(sent)) sent = sent[0]
  return typeof sent === 'string' && sent !== '' ? sent : undefined
}

/** Constant-time check of a sent token against the session's; false when either is missing. */
export function csrfMatches(session: Session, sent: string | undefined): boolean {
  if (sent === undefined) return false
  const expected = session.getSys(SYS_KEY)
  if (typeof expected !== 'string') return false
  const a = Buffer.from(expected)
  const b = Buffer.from(sent)
  return a.length === b.length && timingSafeEqual(a, b)
}
