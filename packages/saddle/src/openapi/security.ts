/**
 * OpenAPI security schemes from the app's auth settings (README "WWW-Authenticate: basic, digest,
 * bearer"): `app.authenticate` covers every route (the document's top-level `security`), a route's own
 * `authenticate` option its operation. Bearer tokens are JWTs verified with `app.securekey`.
 */
import { appScheme, routeScheme } from '../auth/checks.js'
import { type AuthScheme, securityOf } from '../auth/settings.js'
import type { Route } from '../route.js'
import type { JsonSchema } from './types.js'

const SCHEME_NAMES: Record<AuthScheme, string> = { basic: 'basicAuth', digest: 'digestAuth', bearer: 'bearerAuth' }

function schemeObject(scheme: AuthScheme, withJwt: boolean): JsonSchema {
  if (scheme === 'bearer')
    return withJwt ? { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } : { type: 'http', scheme: 'bearer' }
  return { type: 'http', scheme }
}

/** Collects the schemes the app's routes use, for `components.securitySchemes`. */
export class SecurityCollector {
  readonly schemes: Record<string, JsonSchema> = {}
  private readonly appWide: AuthScheme | null
  private readonly jwt: boolean

  constructor(private readonly app: object) {
    const sec = securityOf(app)
    this.appWide = appScheme(sec)
    this.jwt = typeof sec.settings.securekey === 'string' && sec.settings.securekey !== ''
    if (this.appWide !== null) this.use(this.appWide)
  }

  /** The document-level requirement: the app-wide scheme, when there is one. */
  documentSecurity(): Record<string, string[]>[] | undefined {
    return this.appWide === null ? undefined : [{ [SCHEME_NAMES[this.appWide]]: [] }]
  }

  /** An operation's own requirement: its route's scheme when it differs from the app-wide one. */
  routeSecurity(route: Route): Record<string, string[]>[] | undefined {
    const scheme = routeScheme(securityOf(this.app), route)
    if (scheme === null || scheme === this.appWide) return undefined
    this.use(scheme)
    return [{ [SCHEME_NAMES[scheme]]: [] }]
  }

  /** Whether a request of this route must authenticate (app-wide or its own scheme). */
  secured(route: Route): boolean {
    return this.appWide !== null || routeScheme(securityOf(this.app), route) !== null
  }

  private use(scheme: AuthScheme): void {
    this.schemes[SCHEME_NAMES[scheme]] = schemeObject(scheme, this.jwt)
  }
}
