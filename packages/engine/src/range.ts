/**
 * Range requests on app responses and files (README "Ranges and conditional requests"). The header
 * grammar is range-parser (what `send` uses); If-Range is compared here because range-parser has no
 * notion of it: an entity tag must match strongly, a date must equal Last-Modified exactly (RFC 9110
 * §13.1.5); anything else means "send the whole body".
 */
import type { IncomingMessage } from 'node:http'
import rangeParser from 'range-parser'

/** One satisfiable range (inclusive end), 416 for a malformed or unsatisfiable one, null for the full body. */
export type RangeAnswer = { readonly start: number; readonly end: number } | 416 | null

export function evaluateRange(
  req: IncomingMessage,
  size: number,
  etag: string | undefined,
  lastModified: string | undefined,
): RangeAnswer {
  const method = req.method
  if (method !== 'GET' && method !== 'HEAD') return null
  const header = req.headers.range
  if (header === undefined) return null
  const ifRange = req.headers['if-range'] as string | undefined
  if (ifRange !== undefined && !ifRangeHolds(ifRange.trim(), etag, lastModified)) return null
  const ranges = rangeParser(size, header, { combine: true })
  if (ranges === -1 || ranges === -2) return 416
  // Only byte ranges are known; several disjoint ranges are answered with the whole body (allowed).
  if (ranges.type !== 'bytes' || ranges.length !== 1) return null
  return ranges[0]!
}

function ifRangeHolds(ifRange: string, etag: string | undefined, lastModified: string | undefined): boolean {
  if (ifRange.startsWith('"') || ifRange.startsWith('W/"')) {
    return etag !== undefined && !etag.startsWith('W/') && etag === ifRange
  }
  if (lastModified === undefined) return false
  const date = Date.parse(ifRange)
  return !Number.isNaN(date) && date === Date.parse(lastModified)
}

/** `Content-Range` of a 416 answer. */
export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`
}

export function contentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`
}
