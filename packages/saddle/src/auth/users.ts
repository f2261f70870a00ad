import { createHash, timingSafeEqual } from 'node:crypto'

/** `app.authorizationHandler((was, username) => password | undefined)`, may be async. */
export type AuthorizationHandler<W = any> = (
  was: W,
  username: string,
) => string | undefined | null | Promise<string | undefined | null>

/** Where passwords come from: `app.users = { name: password }` or the handler (the handler wins). */
export interface PasswordSource<W = any> {
  users: Readonly<Record<string, string>> | null
  handler: AuthorizationHandler<W> | null
}

export async function lookupPassword<W>(src: PasswordSource<W>, was: W, username: string): Promise<string | undefined> {
  if (src.handler !== null) {
    const p = await src.handler(was, username)
    return typeof p === 'string' ? p : undefined
  }
  if (src.users !== null && Object.hasOwn(src.users, username)) {
    const p = src.users[username]
    return typeof p === 'string' ? p : undefined
  }
  return undefined
}

/** Constant-time string comparison: both sides are hashed first so lengths leak nothing either. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest()
  const hb = createHash('sha256').update(b, 'utf8').digest()
  return timingSafeEqual(ha, hb)
}

/** A quoted-string for a challenge parameter (RFC 9110 §5.6.4). */
export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`
}
