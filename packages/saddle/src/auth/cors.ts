/**
 * CORS decisions (README "CORS"), precompiled once per app/route into a `CorsPolicy`:
 * a request carrying an `Origin` that is neither the server's own `scheme://host` nor allowed is
 * refused (403); allowed cross-origin requests get `Access-Control-Allow-Origin` (the origin echoed,
 * with credentials, for an explicit list; `*` without credentials for `['*']`).
 */

export interface CorsPolicy {
  /** `['*']`: any origin. */
  readonly any: boolean
  /** Explicitly allowed origins, lower case without trailing slash. */
  readonly origins: ReadonlySet<string>
  /** Seconds a preflight answer may be cached (`Access-Control-Max-Age`). */
  readonly maxAge: number
}

/**
 * From `app.accessControlAllowOrigin` or a route's `cors` option: a list of origins or `['*']`;
 * `true` = any origin, `false`/absent = same origin only.
 */
export function compileCors(allow: readonly string[] | boolean | null | undefined, maxAge = 0): CorsPolicy {
  if (allow === true) return { any: true, origins: new Set(), maxAge }
  if (allow === false || allow === null || allow === undefined) return { any: false, origins: new Set(), maxAge }
  if (!Array.isArray(allow)) throw new TypeError('accessControlAllowOrigin must be an array of origins or ["*"]')
  const origins = new Set<string>()
  let any = false
  for (const o of allow) {
    if (typeof o !== 'string') throw new TypeError(`accessControlAllowOrigin: ${String(o)} is not a string`)
    if (o === '*') any = true
    else {
      if (!/^[a-z][a-z0-9+.-]*:\/\/[^/\s]+\/?$/i.test(o)) {
        throw new TypeError(`accessControlAllowOrigin: ${o} is not an origin like https://example.com`)
      }
      origins.add(o.toLowerCase().replace(/\/$/, ''))
    }
  }
  return { any, origins, maxAge }
}

export const CORS_NONE = 0
export const CORS_ALLOWED = 1
export const CORS_FORBIDDEN = -1

/**
 * NONE: no `Origin`, or the server's own origin (nothing to add); ALLOWED: add CORS headers;
 * FORBIDDEN: answer 403. `ownOrigin` is `scheme://host` of the request.
 */
export function corsVerdict(origin: string | undefined, ownOrigin: string, policy: CorsPolicy): number {
  if (origin === undefined || origin === '') return CORS_NONE
  const o = origin.toLowerCase()
  if (o === ownOrigin.toLowerCase()) return CORS_NONE
  if (policy.any || policy.origins.has(o)) return CORS_ALLOWED
  return CORS_FORBIDDEN
}

/** Headers for an allowed cross-origin response. */
export function corsHeaders(origin: string, policy: CorsPolicy): [string, string][] {
  if (policy.any && !policy.origins.has(origin.toLowerCase())) return [['access-control-allow-origin', '*']]
  return [
    ['access-control-allow-origin', origin],
    ['access-control-allow-credentials', 'true'],
  ]
}

/** Whether the request is a CORS preflight. */
export function isPreflight(method: string, requestMethodHeader: string | undefined): boolean {
  return method === 'OPTIONS' && requestMethodHeader !== undefined && requestMethodHeader !== ''
}

const ALL_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'

/** Headers of a preflight answer (200, empty body). */
export function preflightHeaders(
  origin: string,
  policy: CorsPolicy,
  methods: readonly string[] | null,
  requestHeaders: string | undefined,
): [string, string][] {
  const out = corsHeaders(origin, policy)
  out.push(['access-control-allow-methods', methods === null ? ALL_METHODS : methods.join(', ')])
  if (
    requestHeaders !== undefined &&
    /^[A-Za-z0-9!#$%&'*+.^_`|~,\s-]*$/.test(requestHeaders) &&
    requestHeaders !== ''
  ) {
    out.push(['access-control-allow-headers', requestHeaders])
  }
  if (policy.maxAge > 0) out.push(['access-control-max-age', String(Math.floor(policy.maxAge))])
  return out
}
