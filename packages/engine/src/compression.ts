/**
 * Response compression (README "Compression"): gzip or brotli with node's zlib, chosen by the request's
 * `Accept-Encoding` q-values (negotiator, what express's `compression` uses; brotli wins a tie), for
 * compressible media types over a size threshold. The decisions are cached per header value and per
 * media type (browsers send a handful of distinct values), so a response pays a Map lookup, and one
 * under the threshold pays a comparison.
 */
import zlib from 'node:zlib'
import type { Transform } from 'node:stream'
import Negotiator from 'negotiator'

export type ContentEncoding = 'br' | 'gzip'

export interface CompressionOptions {
  /** gzip level 1–9 (default 6). */
  level?: number
  /** brotli quality 0–11 (default 4: quality 11 costs some 20 × the CPU for a few % smaller bodies). */
  brotliLevel?: number
  /** Bodies of this many bytes or fewer go out as they are (default 2048). */
  minSize?: number
  /**
   * Media types compressed (parameters ignored): exact names (`'application/json'`), prefixes ending in
   * `/*` (`'text/*'`), suffixes starting with `*+` (`'*+json'`), or a predicate. Default: DEFAULT_TYPES.
   */
  types?: readonly string[] | ((mediaType: string) => boolean)
  /** Offer brotli (default true). */
  brotli?: boolean
}

export const DEFAULT_TYPES: readonly string[] = [
  'text/*',
  'application/json',
  '*+json',
  'application/javascript',
  'application/x-javascript',
  'application/xml',
  '*+xml',
  'image/svg+xml',
]

const CACHE_LIMIT = 256

export class CompressionSettings {
  readonly level: number
  readonly brotliLevel: number
  readonly minSize: number
  private readonly offered: readonly string[]
  private readonly typeTest: (mediaType: string) => boolean
  private readonly byType = new Map<string, boolean>()
  private readonly byAccept = new Map<string, ContentEncoding | null>()

  constructor(options: CompressionOptions = {}) {
    this.level = checkInt('level', options.level ?? 6, 1, 9)
    this.brotliLevel = checkInt('brotliLevel', options.brotliLevel ?? 4, 0, 11)
    this.minSize = checkInt('minSize', options.minSize ?? 2048, 0, Number.MAX_SAFE_INTEGER)
    this.offered = options.brotli === false ? ['gzip', 'identity'] : ['br', 'gzip', 'identity']
    const types = options.types ?? DEFAULT_TYPES
    if (typeof types === 'function') this.typeTest = types
    else {
      if (!Array.isArray(types))
        throw new TypeError('setCompression: types must be an array of media types or a function')
      this.typeTest = typeMatcher(types)
    }
  }

  /** Whether a Content-Type (parameters allowed) is compressed. */
  compressible(contentType: string | undefined): boolean {
    if (contentType === undefined) return false
    let known = this.byType.get(contentType)
    if (known === undefined) {
      const semi = contentType.indexOf(';')
      known = this.typeTest((semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase())
      if (this.byType.size >= CACHE_LIMIT) this.byType.clear()
      this.byType.set(contentType, known)
    }
    return known
  }

  /** The encoding to use for an `Accept-Encoding` value, or null for identity. */
  negotiate(acceptEncoding: string): ContentEncoding | null {
    let known = this.byAccept.get(acceptEncoding)
    if (known === undefined) {
      const n = new Negotiator({ headers: { 'accept-encoding': acceptEncoding } }) as any
      const best: string | undefined = n.encodings(this.offered, { preferred: this.offered })[0]
      known = best === 'br' || best === 'gzip' ? best : null
      if (this.byAccept.size >= CACHE_LIMIT) this.byAccept.clear()
      this.byAccept.set(acceptEncoding, known)
    }
    return known
  }

  /**
   * The encoding among precompressed siblings (`available`: 'b' for `.br`, 'g' for `.gz`, 'bg' both),
   * or null for the file itself.
   */
  negotiateAmong(acceptEncoding: string, available: string): ContentEncoding | null {
    if (available === 'bg') return this.negotiate(acceptEncoding)
    const key = `${available}\n${acceptEncoding}`
    let known = this.byAccept.get(key)
    if (known === undefined) {
      const offer = available === 'b' ? ['br', 'identity'] : ['gzip', 'identity']
      const n = new Negotiator({ headers: { 'accept-encoding': acceptEncoding } }) as any
      const best: string | undefined = n.encodings(offer, { preferred: offer })[0]
      known = best === 'br' || best === 'gzip' ? best : null
      if (this.byAccept.size >= CACHE_LIMIT) this.byAccept.clear()
      this.byAccept.set(key, known)
    }
    return known
  }

  /** Compresses a body held in memory, synchronously (bodies passed here are bounded by the caller). */
  compressSync(body: string | Uint8Array, encoding: ContentEncoding): Buffer {
    if (encoding === 'gzip') return zlib.gzipSync(body, { level: this.level })
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
    return zlib.brotliCompressSync(body, { params: this.brotliParams(size) })
  }

  /** Compresses a body held in memory in the thread pool (large bodies: the event loop is not held). */
  compressAsync(body: string | Uint8Array, encoding: ContentEncoding): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const done = (err: Error | null, out: Buffer) => (err === null ? resolve(out) : reject(err))
      if (encoding === 'gzip') zlib.gzip(body, { level: this.level }, done)
      else {
        const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
        zlib.brotliCompress(body, { params: this.brotliParams(size) }, done)
      }
    })
  }

  /**
   * A compressing stream that flushes after every write: a streamed response reaches the client chunk by
   * chunk as the handler produces it, not when zlib's window fills.
   */
  encoder(encoding: ContentEncoding): Transform {
    if (encoding === 'gzip') return zlib.createGzip({ level: this.level, flush: zlib.constants.Z_SYNC_FLUSH })
    return zlib.createBrotliCompress({
      flush: zlib.constants.BROTLI_OPERATION_FLUSH,
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: this.brotliLevel },
    })
  }

  private brotliParams(size: number): Record<number, number> {
    return {
      [zlib.constants.BROTLI_PARAM_QUALITY]: this.brotliLevel,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: size,
    }
  }
}

/** Bodies above this are compressed in the thread pool rather than on the event loop. */
export const SYNC_COMPRESS_LIMIT = 128 * 1024

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`setCompression: ${name} must be an integer from ${min} to ${max}, got ${v}`)
  }
  return v
}

function typeMatcher(types: readonly string[]): (mediaType: string) => boolean {
  const exact = new Set<string>()
  const prefixes: string[] = []
  const suffixes: string[] = []
  for (const t of types) {
    if (typeof t !== 'string' || t.length === 0) throw new TypeError(`setCompression: bad media type ${String(t)}`)
    const lower = t.toLowerCase()
    if (lower.endsWith('/*')) prefixes.push(lower.slice(0, -1))
    else if (lower.startsWith('*+')) suffixes.push(lower.slice(1))
    else exact.add(lower)
  }
  return (type) => exact.has(type) || prefixes.some((p) => type.startsWith(p)) || suffixes.some((s) => type.endsWith(s))
}

/**
 * Adds `Accept-Encoding` to a `Vary` header value (a header dictionary with lower-case names), unless it
 * is there already or the value is `*`.
 */
export function varyOnAcceptEncoding(headers: Record<string, string | string[] | number | undefined>): void {
  const old = headers['vary']
  if (old === undefined) {
    headers['vary'] = 'Accept-Encoding'
    return
  }
  const text = Array.isArray(old) ? old.join(', ') : String(old)
  if (text.trim() === '*' || /(^|,)\s*accept-encoding\s*(,|$)/i.test(text)) return
  headers['vary'] = `${text}, Accept-Encoding`
}

/**
 * The headers of a response that goes out compressed: Content-Encoding set, Content-Length removed (the
 * caller sets the compressed length when it knows it), and a strong ETag made weak (the bytes differ from
 * the identity representation's, while a conditional request still matches it).
 */
export function markEncoded(
  headers: Record<string, string | string[] | number | undefined>,
  encoding: ContentEncoding,
): void {
  headers['content-encoding'] = encoding
  delete headers['content-length']
  const etag = headers['etag']
  if (typeof etag === 'string' && etag.startsWith('"')) headers['etag'] = `W/${etag}`
}
