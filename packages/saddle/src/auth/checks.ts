import { HttpError } from '@skitai/was'
import type { PluginOf } from '../plugin.js'
import { EarlyResponse } from '../early-response.js'
import type { Route, RouteCheck } from '../route.js'
import { assertSecureKey } from '../state/iron.js'
import type { Session } from '../state/session.js'
import type { SaddleWas } from '../saddle-was.js'
import { basicChallenge, parseBasic } from './basic.js'
import { bearerChallenge, parseBearer } from './bearer.js'
import {
  CORS_ALLOWED,
  CORS_FORBIDDEN,
  type CorsPolicy,
  compileCors,
  corsHeaders,
  corsVerdict,
  isPreflight,
  preflightHeaders,
} from './cors.js'
import { CSRF_HEADER, csrfMatches, takeSentToken } from './csrf.js'
import { digestChallenges, digestMatches, digestShape, parseDigest } from './digest.js'
import { looksLikeJwt } from './jwt.js'
import { type AppSecurity, type AuthScheme, securityOf } from './settings.js'
import { lookupPassword, safeEqual } from './users.js'

/**
 * The checks of README "Cookies, sessions, tokens, auth, CORS", installed into each app as a plugin (../plugin.ts) and compiled
 * once per app/route:
 *  - app gate: `app.authenticate` for every request of the app, before the route is resolved and
 *    before the body is read (so XML-RPC calls are covered too); CORS preflights pass through it;
 *  - before the body, per route: CORS (403 for a foreign origin; OPTIONS preflight answered here,
 *    the handler is not called) and a route's own `authenticate` scheme;
 *  - after the arguments are loaded: `csrfVerify: true` (400).
 */

/** The built-in security checks; the Saddle constructor installs them (`app.use(securityChecks)`). */
export const securityChecks: PluginOf<object> = {
  name: 'security',
  appGate(app) {
    const sec = securityOf(app)
    validateSettings(sec)
    const scheme = appScheme(sec)
    if (scheme === null) return null
    const check = AUTH_CHECKS[scheme]
    return (was) =>
      isPreflight(was.request.method, was.rawHeader('access-control-request-method')) ? undefined : check(was)
  },
  originCheck: (route, app) => corsCheck(securityOf(app), route),
  beforeBodyCheck(route, app) {
    const sec = securityOf(app)
    const scheme = routeScheme(sec, route)
    if (scheme !== null) requireSources(sec, scheme, `route ${route.path} (authenticate: '${scheme}')`)
    // The app gate already asked for the app-wide scheme.
    return scheme === null || scheme === appScheme(sec) ? null : AUTH_CHECKS[scheme]
  },
  afterBodyCheck(route, app) {
    if (route.options.csrfVerify !== true) return null
    assertSecureKey(securityOf(app).settings.securekey, `route ${route.path} (csrfVerify)`)
    return csrfCheck
  },
}

/**
 * Settings errors surface when the app is compiled (at mount), not at the first request: a short
 * securekey, an unknown scheme, auth without a password source, malformed origins or algorithms.
 */
function validateSettings(sec: AppSecurity): void {
  const a = sec.settings
  if (a.securekey !== null && a.securekey !== undefined) {
    assertSecureKey(a.securekey, 'app.securekey')
    sec.jwt() // validates app.jwtAlgorithms
  }
  const t = a.sessionTimeout
  if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t <= 0)) {
    throw new TypeError(`app.sessionTimeout must be seconds > 0, not ${String(t)}`)
  }
  for (const alg of sec.digestAlgorithms) {
    if (alg !== 'MD5' && alg !== 'SHA-256') throw new TypeError(`app.digestAlgorithms: ${alg} is not MD5 or SHA-256`)
  }
  sec.cors() // validates app.accessControlAllowOrigin
  const scheme = appScheme(sec)
  if (scheme !== null) requireSources(sec, scheme, `app.authenticate = '${scheme}'`)
}

function requireSources(sec: AppSecurity, scheme: AuthScheme, what: string): void {
  const a = sec.settings
  if (scheme === 'bearer') {
    if (!a.securekey && !a.bearerFn) {
      throw new Error(`${what} needs app.securekey (for JWTs) or app.bearerHandler((was, token) => …)`)
    }
  } else if (!a.users && !a.authorizationFn) {
    throw new Error(`${what} needs app.users = { name: password } or app.authorizationHandler((was, user) => password)`)
  }
}

export function appScheme(sec: AppSecurity): AuthScheme | null {
  const s = sec.settings.authenticate
  if (s === undefined || s === null || s === false) return null
  if (s !== 'basic' && s !== 'digest' && s !== 'bearer') {
    throw new Error(`app.authenticate must be 'basic', 'digest' or 'bearer', not ${String(s)}`)
  }
  return s
}

/** Route option `authenticate`: a scheme, or true = the app's scheme (digest when the app has none). */
export function routeScheme(sec: AppSecurity, route: Route): AuthScheme | null {
  const opt = route.options.authenticate
  if (opt === undefined || opt === false) return null
  if (opt === true) return appScheme(sec) ?? 'digest'
  if (opt === 'basic' || opt === 'digest' || opt === 'bearer') return opt
  throw new Error(`route ${route.path}: authenticate must be 'basic', 'digest', 'bearer' or true`)
}

// ---- CORS ------------------------------------------------------------------------------------

function corsCheck(sec: AppSecurity, route: Route): RouteCheck {
  const opt = route.options.cors
  const policy: CorsPolicy | null =
    opt === undefined ? null : compileCors(opt as string[] | boolean, sec.settings.accessControlMaxAge ?? 0)
  return (was) => checkCors(was, route, policy ?? sec.cors())
}

function checkCors(was: SaddleWas, route: Route, policy: CorsPolicy): undefined {
  const origin = was.rawHeader('origin')
  const preflight = isPreflight(was.request.method, was.rawHeader('access-control-request-method'))
  if (origin === undefined && !preflight) return undefined
  const host = was.rawHeader('host') ?? ''
  const verdict = corsVerdict(origin, `${was.request.scheme}://${host}`, policy)
  if (verdict === CORS_FORBIDDEN) {
    throw new HttpError(403, 'cross-origin request refused', { detail: `origin ${origin} is not allowed` })
  }
  const resp = was.response
  if (policy.any || policy.origins.size > 0) resp.appendHeader('vary', 'Origin')
  if (preflight) {
    if (origin !== undefined) {
      const h = preflightHeaders(origin, policy, route.methods, was.rawHeader('access-control-request-headers'))
      for (const [k, v] of h) resp.setHeader(k, v)
    }
    throw new EarlyResponse(200)
  }
  if (verdict === CORS_ALLOWED) for (const [k, v] of corsHeaders(origin!, policy)) resp.setHeader(k, v)
  return undefined
}

// ---- WWW-Authenticate ------------------------------------------------------------------------

function unauthorized(challenges: string | string[], why: string): HttpError {
  // Several challenges go out as several WWW-Authenticate lines (clients read the first one they
  // understand); the writer passes arrays to writeHead unchanged.
  return new HttpError(401, 'Unauthorized', { detail: why, headers: { 'www-authenticate': challenges } })
}

function authenticated(was: SaddleWas, user: string): undefined {
  was.request.user = user // also RequestContext.user, for the access log
  return undefined
}

async function basicCheck(was: SaddleWas): Promise<undefined> {
  const sec = securityOf(was.app)
  const creds = parseBasic(was.rawHeader('authorization'))
  if (creds === null) throw unauthorized(basicChallenge(sec.realm), 'credentials required')
  const password = await lookupPassword(passwordSource(sec), was, creds.username)
  // Compare even for an unknown user so that timing does not tell which users exist.
  const ok = safeEqual(password ?? '\0unknown', creds.password) && password !== undefined
  if (!ok) throw unauthorized(basicChallenge(sec.realm), 'invalid user name or password')
  return authenticated(was, creds.username)
}

/**
 * Requests whose digest credentials were accepted, with the header accepted. The nonce count makes a
 * header good for one check only; an RPC batch (multicall, JSON-RPC batch) checks a digest route once
 * per call within the same request, and those later checks must not count as replays.
 */
const digestAccepted = new WeakMap<SaddleWas, string>()

async function digestCheck(was: SaddleWas): Promise<undefined> {
  const sec = securityOf(was.app)
  const nonces = sec.nonces()
  const fail = (why: string, stale = false): HttpError =>
    unauthorized(digestChallenges(sec.realm, nonces.issue(), nonces.opaque, sec.digestAlgorithms, stale), why)
  const header = was.rawHeader('authorization')
  if (header !== undefined && digestAccepted.get(was) === header) return undefined
  const p = parseDigest(header)
  if (p === null) throw fail('credentials required')
  const req = { method: was.request.method, uri: was.uri }
  const alg = digestShape(p, sec.realm, nonces.opaque, sec.digestAlgorithms, req)
  if (alg === null) throw fail('malformed or mismatched digest credentials')
  const password = await lookupPassword(passwordSource(sec), was, p.username!)
  if (password === undefined || !digestMatches(p, alg, password, req)) throw fail('invalid user name or password')
  const verdict = nonces.check(p.nonce!, p.nc!)
  if (verdict === 'invalid') throw fail('unknown nonce')
  if (verdict === 'stale') throw fail('stale or replayed nonce', true)
  digestAccepted.set(was, header!)
  return authenticated(was, p.username!)
}

async function bearerCheck(was: SaddleWas): Promise<undefined> {
  const sec = securityOf(was.app)
  const token = parseBearer(was.rawHeader('authorization'))
  if (token === null) throw unauthorized(bearerChallenge(sec.realm), 'bearer token required')
  const handler = sec.settings.bearerFn ?? null
  // Without app.securekey there is no key to verify a JWT with: app.bearerHandler alone decides
  // (requireSources makes sure there is one).
  if (looksLikeJwt(token) && sec.settings.securekey) {
    const claims = sec.jwt().decode(token)
    if (claims === null) throw unauthorized(bearerChallenge(sec.realm, 'invalid or expired token'), 'invalid token')
    was.request.jwt = claims
    if (typeof claims.sub === 'string') was.request.user = claims.sub
    else if (typeof claims.user === 'string') was.request.user = claims.user
  } else if (handler === null) {
    throw unauthorized(bearerChallenge(sec.realm, 'not a JWT'), 'invalid token')
  }
  if (handler !== null) {
    const err = await handler(was, token)
    if (err !== undefined && err !== null) {
      throw unauthorized(bearerChallenge(sec.realm, String(err)), String(err))
    }
  }
  return undefined
}

function passwordSource(sec: AppSecurity) {
  return { users: sec.settings.users ?? null, handler: sec.settings.authorizationFn ?? null }
}

const AUTH_CHECKS: Record<AuthScheme, (was: SaddleWas) => Promise<undefined>> = {
  basic: basicCheck,
  digest: digestCheck,
  bearer: bearerCheck,
}

// ---- CSRF ------------------------------------------------------------------------------------

/** `csrfVerify: true`: the session's token must come back in a form field or `X-XSRF-TOKEN`. */
async function csrfCheck(was: SaddleWas): Promise<undefined> {
  const req = was.request
  // Handlers without parameters do not load the body; the token may be in it. (RPC calls arrive with
  // their arguments as the body arguments already: their body is the call, not a form.)
  if (req.bodyArgs === null) await req.loadBodyArgs()
  // From the header or the body only: a token in the query string would leak through logs and Referer.
  const sent = takeSentToken(was.rawHeader(CSRF_HEADER), req.bodyArgs)
  takeSentToken(undefined, req.args) // drop a query copy: not an unexpected parameter of the handler
  if (!csrfMatches(was.session as Session, sent)) {
    throw new HttpError(400, 'CSRF token missing or invalid', {
      detail: 'send the form field _csrf_token (was.csrfTokenInput) or the X-XSRF-TOKEN header',
    })
  }
  return undefined
}
