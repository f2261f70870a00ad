import { csrfMatches, csrfToken, csrfTokenInput, takeSentToken } from '../auth/csrf.js'
import { securityOf } from '../auth/settings.js'
import { stateCommitters, stateProviders, type SaddleWas } from '../was.js'
import { CookieJar } from './cookie.js'
import { MessageBox } from './mbox.js'
import { DEFAULT_SESSION_TIMEOUT, Session, type SessionHost } from './session.js'
import { makeToken, readToken, removeToken } from './tokens.js'

/**
 * Plugs cookies, sessions, flash messages, CSRF, JWT and one-time tokens into SaddleWas's lazy slots
 * (`stateProviders`) and the commit step (`stateCommitters`). Imported once by the package index.
 */

function settings(was: SaddleWas): { securekey?: string | null; sessionTimeout?: number } {
  return was.app as unknown as { securekey?: string | null; sessionTimeout?: number }
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
    this.jar = was.cookie as CookieJar
    this.securekey = s.securekey ?? undefined
    this.timeout = s.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT
    this.path = was._ctx.mountPoint || '/'
    this.secure = was.request.scheme === 'https'
    this.addr = null
  }

  clientAddress(): string {
    return (this.addr ??= this.was.request.getRemoteAddr())
  }
}

const sessionOf = (was: SaddleWas): Session => was.session as Session

stateProviders.cookie = (was) => new CookieJar(was._rawHeader('cookie'), was._ctx.mountPoint || '/')
stateProviders.session = (was) => new Session(new WasSessionHost(was))
stateProviders.mbox = (was) => new MessageBox(sessionOf(was))
stateProviders.csrfToken = (was) => csrfToken(sessionOf(was))
stateProviders.csrfTokenInput = (was) => csrfTokenInput(sessionOf(was))
/** `was.csrfVerify()`: whether the request carries the session's token (header, or the loaded body's fields; never the query). */
stateProviders.csrfVerify = (was) =>
  csrfMatches(sessionOf(was), takeSentToken(was._rawHeader('x-xsrf-token'), was.request._bodyArgs))
stateProviders.mkjwt = (was, claims: Record<string, unknown>, ttlSeconds?: number) =>
  securityOf(was.app).jwt().make(claims, ttlSeconds)
stateProviders.dejwt = (was, token: string) => securityOf(was.app).jwt().decode(token)
stateProviders.mktoken = (was, obj: unknown, timeoutSeconds: number, sessionKey?: string) =>
  makeToken(settings(was).securekey ?? undefined, () => sessionOf(was), obj, timeoutSeconds, sessionKey)
stateProviders.detoken = (was, token: string) =>
  readToken(settings(was).securekey ?? undefined, () => sessionOf(was), token)
stateProviders.rmtoken = (was, token: string) =>
  removeToken(settings(was).securekey ?? undefined, () => sessionOf(was), token)

function writeJar(was: SaddleWas): void {
  const jar = was._cookie as CookieJar | null
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
stateCommitters.push((was) => {
  const session = was._session as Session | null
  if (session?.opened) return sealThenWrite(was, session)
  writeJar(was)
})
