/**
 * HTTP conditional requests for app responses (README "HTTP, limits and timeouts"), in the order of RFC 9110 §13.2.2:
 *   1. If-Match (strong comparison) fails            → 412
 *   2. else If-Unmodified-Since, modified after it    → 412
 *   3. If-None-Match matches (weak comparison)        → 304 for GET/HEAD, 412 otherwise
 *   4. else If-Modified-Since (GET/HEAD only), not modified since → 304
 *   5. otherwise                                      → 200
 * Steps 3 and 4 are the `fresh` package (what express and send use), which also treats a request with
 * `Cache-Control: no-cache` as stale (a forced reload). `fresh` has no If-Match/If-Unmodified-Since, so
 * steps 1 and 2 are written here.
 */
import type { IncomingMessage } from 'node:http'
import fresh from 'fresh'

export type ConditionalResult = 200 | 304 | 412

/**
 * `etag`: the response's entity tag with its quotes (`"abc"` or `W/"abc"`), or undefined.
 * `lastModified`: the response's modification time in epoch seconds, or undefined.
 */
export function evaluateConditional(
  req: IncomingMessage,
  etag: string | undefined,
  lastModified: number | undefined,
): ConditionalResult {
  const headers = req.headers
  const ifMatch = headers['if-match']
  if (ifMatch !== undefined) {
    if (!ifMatchHolds(ifMatch, etag)) return 412
  } else if (lastModified !== undefined) {
    const since = headers['if-unmodified-since']
    if (since !== undefined) {
      const date = Date.parse(since)
      // An invalid date is ignored (RFC 9110 §13.1.4); HTTP dates have whole seconds.
      if (!Number.isNaN(date) && lastModified > Math.floor(date / 1000)) return 412
    }
  }

  const method = req.method
  const safe = method === 'GET' || method === 'HEAD'
  const ifNoneMatch = headers['if-none-match']
  if (ifNoneMatch === undefined && (!safe || headers['if-modified-since'] === undefined)) return 200
  const isFresh = fresh(headers, {
    etag,
    'last-modified': lastModified === undefined ? undefined : new Date(lastModified * 1000).toUTCString(),
  })
  if (!isFresh) return 200
  return safe ? 304 : 412
}

/** If-Match uses the strong comparison: weak tags never match (RFC 9110 §13.1.1, §8.8.3.2). */
function ifMatchHolds(header: string, etag: string | undefined): boolean {
  if (header.trim() === '*') return true // the representation exists: the app is answering with it
  if (etag === undefined || etag.startsWith('W/')) return false
  let start = 0
  while (start < header.length) {
    let end = header.indexOf(',', start)
    if (end === -1) end = header.length
    if (header.slice(start, end).trim() === etag) return true
    start = end + 1
  }
  return false
}
