/**
 * Decides, from the raw URL path alone, whether a static-file request is safe to look up.
 *
 * Hand-written on purpose: `send` has its own checks (decode, NUL, `..`, dotfiles) but it answers
 * them itself; the engine needs to tell "unsafe, answer now" (never handed to an app mounted at the
 * same point) from "simply not a file here" (hand to the app). `send`'s checks stay on as a second
 * line of defence. The rules follow node-anchors §6 "Path traversal in static serving": decode
 * exactly once, refuse NUL and backslashes, refuse `..` segments, refuse encoded separators and
 * double-encoded dots/separators.
 */

export interface PathRefusal {
  readonly status: 400 | 403
  readonly message: string
}

function refusal(status: 400 | 403, message: string): PathRefusal {
  return Object.freeze({ status, message })
}

export const MALFORMED_ENCODING = refusal(400, 'Bad Request: the URL path has malformed percent-encoding')
export const NUL_BYTE = refusal(403, 'Forbidden: the URL path contains a NUL byte')
export const BACKSLASH = refusal(403, 'Forbidden: the URL path contains a backslash')
export const ENCODED_SEPARATOR = refusal(403, 'Forbidden: the URL path contains an encoded "/" (%2F)')
export const PARENT_SEGMENT = refusal(403, 'Forbidden: the URL path contains a ".." segment')
export const DOUBLE_ENCODED = refusal(
  403,
  'Forbidden: the URL path contains a double-encoded ".", "/", "\\" or NUL (%25…)',
)

/** Returned for a path with a segment starting with '.': never served, treated as absent. */
export const DOTFILE = Symbol('dotfile')

const ENCODED_SLASH = /%2f/i
const PARENT = /(?:^|\/)\.\.(?:\/|$)/
const STILL_ENCODED_DANGER = /%(?:2e|2f|5c|00)/i
const DOT_SEGMENT = /(?:^|\/)\.[^/]/

/**
 * Returns the decoded path ('' or starting with '/'), a refusal to answer right away, or DOTFILE.
 * `raw` must not contain the query string.
 */
export function decodeStaticPath(raw: string): string | PathRefusal | typeof DOTFILE {
  if (ENCODED_SLASH.test(raw)) return ENCODED_SEPARATOR
  let decoded = raw
  if (raw.includes('%')) {
    try {
      decoded = decodeURIComponent(raw)
    } catch {
      return MALFORMED_ENCODING
    }
    if (STILL_ENCODED_DANGER.test(decoded)) return DOUBLE_ENCODED
  }
  if (decoded.includes('\0')) return NUL_BYTE
  if (decoded.includes('\\')) return BACKSLASH
  if (PARENT.test(decoded)) return PARENT_SEGMENT
  if (DOT_SEGMENT.test(decoded)) return DOTFILE
  return decoded
}

/** True when a path relative to the root (platform separators) has a segment starting with '.'. */
export function hasDotSegment(relative: string, sep: string): boolean {
  return relative.charCodeAt(0) === 46 /* '.' */ || relative.includes(`${sep}.`)
}
