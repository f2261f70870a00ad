import { quote } from './users.js'

/** The token of an `Authorization: Bearer …` header (RFC 6750), or null. */
export function parseBearer(header: string | undefined): string | null {
  if (header === undefined || header.length < 8 || header.length > 8192) return null
  if (header.slice(0, 7).toLowerCase() !== 'bearer ') return null
  const token = header.slice(7).trim()
  // RFC 6750 b64token characters only, so a token can be logged and echoed safely.
  return /^[A-Za-z0-9\-._~+/]+=*$/.test(token) ? token : null
}

/** `Bearer realm="…"`, with `error="invalid_token"` and a description when a token was refused. */
export function bearerChallenge(realm: string, error?: string): string {
  let c = `Bearer realm=${quote(realm)}`
  if (error !== undefined) c += `, error="invalid_token", error_description=${quote(error.replace(/[\r\n]/g, ' '))}`
  return c
}
