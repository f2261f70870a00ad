import { quote } from './users.js'

/** RFC 7617 credentials from an `Authorization: Basic …` header, or null when absent or malformed. */
export function parseBasic(header: string | undefined): { username: string; password: string } | null {
  if (header === undefined || header.length < 7 || header.length > 4096) return null
  if (header.slice(0, 6).toLowerCase() !== 'basic ') return null
  const b64 = header.slice(6).trim()
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return null
  const decoded = Buffer.from(b64, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return null
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

export function basicChallenge(realm: string): string {
  return `Basic realm=${quote(realm)}, charset="UTF-8"`
}
