/**
 * What an app response may become on its way out (README "Compression", "Ranges and conditional
 * requests"): a 304/412 from its own ETag/Last-Modified, a 206/416 for a Range, or a compressed body.
 * Frameworks call these only off the hot path: when the body is over the compression threshold or the
 * request carries a Range or an If-* header (`RequestContext.conditional`); everything else is written
 * as it is by the caller.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import { type ContentEncoding, markEncoded, SYNC_COMPRESS_LIMIT, varyOnAcceptEncoding } from './compression.js'
import { evaluateConditional } from './conditional.js'
import type { RequestContext } from './contract.js'
import { contentRange, evaluateRange, unsatisfiedRange } from './range.js'

export type AnswerHeaders = Record<string, string | string[]>

/** Epoch seconds of a Last-Modified value, undefined when absent or not a date. */
function epochSeconds(lastModified: string | undefined): number | undefined {
  if (lastModified === undefined) return undefined
  const t = Date.parse(lastModified)
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000)
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

/**
 * 304 or 412 for a 200 answer whose ETag/Last-Modified the request's preconditions test, written here;
 * returns false (nothing written) when the answer goes on.
 */
export function answerPrecondition(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: AnswerHeaders,
): boolean {
  if (status !== 200) return false
  const etag = single(headers['etag'])
  const lastModified = single(headers['last-modified'])
  if (etag === undefined && lastModified === undefined) return false
  const code = evaluateConditional(req, etag, epochSeconds(lastModified))
  if (code === 200) return false
  delete headers['content-length']
  if (code === 304) {
    delete headers['content-type']
    res.writeHead(304, STATUS_CODES[304], headers)
    res.end()
  } else
    writePlain(res, 412, headers, 'Precondition Failed: If-Match / If-Unmodified-Since does not hold for this response')
  return true
}

/** A short text answer (412, 416) keeping the response's validators. */
function writePlain(res: ServerResponse, status: number, headers: AnswerHeaders, message: string): void {
  const body = `${status} ${message}\n`
  headers['content-type'] = 'text/plain; charset=utf-8'
  headers['content-length'] = String(Buffer.byteLength(body))
  delete headers['content-encoding']
  res.writeHead(status, STATUS_CODES[status], headers)
  res.end(body)
}

/**
 * The Range of a 200 answer of `size` bytes: null when the full body goes out, else the range to send
 * (headers set for a 206) or true when a 416 was written here.
 */
export function answerRange(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: AnswerHeaders,
  size: number,
): { start: number; end: number } | true | null {
  if (status !== 200 || headers['content-encoding'] !== undefined) return null
  const r = evaluateRange(req, size, single(headers['etag']), single(headers['last-modified']))
  if (r === null) return null
  headers['accept-ranges'] = 'bytes'
  if (r === 416) {
    headers['content-range'] = unsatisfiedRange(size)
    writePlain(res, 416, headers, `Range Not Satisfiable: the body has ${size} bytes`)
    return true
  }
  headers['content-range'] = contentRange(r.start, r.end, size)
  headers['content-length'] = String(r.end - r.start + 1)
  return r
}

/**
 * The encoding of an answer that may be compressed (`size` -1 when unknown, as for streams), with the
 * headers set for it (Vary, Content-Encoding, no Content-Length); null when it goes out as it is.
 */
export function chooseEncoding(
  ctx: RequestContext,
  isHead: boolean,
  status: number,
  headers: AnswerHeaders,
  size: number,
): ContentEncoding | null {
  const c = ctx.compression
  if (c === null || isHead || status === 204 || status === 206 || status === 304 || status < 200) return null
  if (headers['content-encoding'] !== undefined) return null
  if (size >= 0 ? size <= c.minSize : Number(single(headers['content-length']) ?? Infinity) <= c.minSize) return null
  if (!c.compressible(single(headers['content-type']))) return null
  // the answer depends on Accept-Encoding from here on, whether or not this request gets it compressed
  varyOnAcceptEncoding(headers)
  const accept = ctx.acceptEncoding
  const encoding = accept === undefined ? null : c.negotiate(accept)
  if (encoding !== null) markEncoded(headers, encoding)
  return encoding
}

/**
 * Writes a body held in memory, through preconditions, Range and compression. `headers` has the
 * Content-Type; Content-Length is set here. Returns a promise only when a large body is compressed in
 * the thread pool.
 */
export function writeBodyAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  status: number,
  reason: string | undefined,
  headers: AnswerHeaders,
  body: string | Uint8Array,
): void | Promise<void> {
  const isHead = req.method === 'HEAD'
  if (ctx.conditional) {
    if (answerPrecondition(req, res, status, headers)) return
    const bytes = typeof body === 'string' ? Buffer.from(body) : body
    const r = answerRange(req, res, status, headers, bytes.byteLength)
    if (r === true) return
    if (r !== null) {
      res.writeHead(206, STATUS_CODES[206], headers)
      res.end(isHead ? undefined : bytes.subarray(r.start, r.end + 1))
      return
    }
    body = bytes
  }
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
  const encoding = chooseEncoding(ctx, isHead, status, headers, size)
  if (encoding === null) {
    headers['content-length'] = String(size)
    res.writeHead(status, reason, headers)
    res.end(body)
    return
  }
  const c = ctx.compression!
  if (size <= SYNC_COMPRESS_LIMIT) return endCompressed(res, status, reason, headers, c.compressSync(body, encoding))
  return c.compressAsync(body, encoding).then(
    (out) => endCompressed(res, status, reason, headers, out),
    () => {
      delete headers['content-encoding']
      headers['content-length'] = String(size)
      res.writeHead(status, reason, headers)
      res.end(body)
    },
  )
}

function endCompressed(
  res: ServerResponse,
  status: number,
  reason: string | undefined,
  headers: AnswerHeaders,
  out: Buffer,
): void {
  headers['content-length'] = String(out.byteLength)
  res.writeHead(status, reason, headers)
  res.end(out)
}
