import { csrfMatches, csrfToken, csrfTokenInput, takeSentToken } from '../auth/csrf.js'
import { securityOf } from '../auth/settings.js'
import type { StateServicesOf } from '../contract.js'
import type { SaddleWas } from '../saddle-was.js'
import { CookieJar } from './cookie.js'
import { MessageBox } from './mbox.js'
import { DEFAULT_SESSION_TIMEOUT, Session, type SessionHost } from './session.js'
import { makeToken, readToken, removeToken } from './tokens.js'

/**
 * Cookies, sessions, flash messages, CSRF, JWT and one-time tokens behind `was.cookie`, `was.session`,
 * … (README "State"). The Saddle constructor installs `stateServices` (app.ts), and `was` calls them on
 * first use, each getter typed by the `StateServices` interface; the commit step writes their headers.
 */

/** What `was`'s state members are made of; one object per app (`app.stateServices`). */
export type StateServices = StateServicesOf<SaddleWas>

function settings(was: SaddleWas): { securekey?: string | null; sessionTimeout?: number } {
  return was.app
}

/** The session's view of the request, built when `was.session` is first touched. */
class WasSessionHost implements SessionHost {
  readonly jar: CookieJar
  readonly securekey: string | undefined
  readonly timeout: number
  readonly path: string
  readonly secure: boolean
  private readonly was: SaddleWas
  private addr: string | null

  constructor(was: SaddleWas) {
    const s = settings(was)
    this.was = was
    this.jar = was.cookie
    this.securekey = s.securekey ?? undefined
    this.timeout = s.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT
    this.path = was.requestContext.mountPoint || '/'
    this.secure = was.request.scheme === 'https'
    this.addr = null
  }

  clientAddress(): string {
    return (this.addr ??= this.was.request.getRemoteAddr())
  }
}

function writeJar(was: SaddleWas): void {
  const jar = was.cookieIfUsed
  if (jar?.dirty) for (const line of jar.setCookieHeaders()) was.response.appendHeader('set-cookie', line)
}

async function sealThenWrite(was: SaddleWas, session: Session): Promise<void> {
  await session.commit()
  writeJar(was)
}

/**
 * The commit step: changed sessions are sealed into the jar, then the jar's Set-Cookie lines (one per
 * name) go into the response. Synchronous unless a session was opened.
 */
function commit(was: SaddleWas): void | Promise<void> {
  const session = was.sessionIfUsed
  if (session?.opened) return sealThenWrite(was, session)
  writeJar(was)
}

const secureKey = (was: SaddleWas) => settings(was).securekey ?? undefined

export const stateServices: StateServices = {
  cookie: (was) => new CookieJar(was.rawHeader('cookie'), was.requestContext.mountPoint || '/'),
  session: (was) => new Session(new WasSessionHost(was)),
  mbox: (was) => new MessageBox(was.session),
  csrfToken: (was) => csrfToken(was.session),
  csrfTokenInput: (was) => csrfTokenInput(was.session),
  csrfVerify: (was) => csrfMatches(was.session, takeSentToken(was.rawHeader('x-xsrf-token'), was.request.bodyArgs)),
  mkjwt: (was, claims, ttlSeconds) => securityOf(was.app).jwt().make(claims, ttlSeconds),
  dejwt: (was, token) => securityOf(was.app).jwt().decode(token),
  mktoken: (was, obj, timeoutSeconds, sessionKey) =>
    makeToken(secureKey(was), () => was.session, obj, timeoutSeconds, sessionKey),
  detoken: (was, token) => readToken(secureKey(was), () => was.session, token),
  rmtoken: (was, token) => removeToken(secureKey(was), () => was.session, token),
  commit,
}
