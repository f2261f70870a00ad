/**
 * Cuts a multipart body after its close delimiter (`\r\n--boundary--`), before busboy sees the epilogue.
 *
 * Why: busboy 1.6 marks the form complete at the close delimiter but keeps parsing the rest of the same
 * chunk. Parts found there are emitted as real ones, and a file part among them whose own end is missing
 * stays open forever: busboy then waits for that file's end before 'close', so the request never got an
 * answer and its temporary file stayed on disk (README "Uploads"). The epilogue is to be ignored anyway
 * (RFC 2046 §5.1.1), so the bytes after the delimiter are dropped here; the request body is still read to
 * its end (and counted against the body limit) by the caller.
 */
import { createRequire } from 'node:module'
import { Transform, type TransformCallback } from 'node:stream'

interface BusboyUtils {
  parseContentType(value: string): { type: string; subtype: string; params: Record<string, string> } | undefined
}

let utils: BusboyUtils | null = null

/** The boundary exactly as busboy reads it from the Content-Type (same parser: quotes, escapes, case). */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined
  // busboy's own parser, loaded with busboy (lazy-app-libs.ts), so both agree on every odd header
  utils ??= createRequire(import.meta.url)('busboy/lib/utils.js') as BusboyUtils
  const boundary = utils.parseContentType(contentType)?.params?.boundary
  return typeof boundary === 'string' ? boundary : undefined
}

/** Passes bytes through up to the end of the close delimiter, then drops the rest. */
export class EpilogueCut extends Transform {
  private readonly close: Buffer
  /** The last `close.length - 1` bytes passed on, to find a delimiter split across two chunks. */
  private carry: Buffer
  private cut: boolean

  constructor(boundary: string) {
    super()
    // busboy searches the UTF-8 bytes of `\r\n--boundary` and prepends a CRLF of its own to the body
    this.close = Buffer.from(`\r\n--${boundary}--`)
    this.carry = Buffer.from('\r\n')
    this.cut = false
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.cut) {
      done()
      return
    }
    const end = this.closeEnd(chunk)
    if (end < 0) {
      this.remember(chunk)
      done(null, chunk)
      return
    }
    this.cut = true
    done(null, chunk.subarray(0, end))
  }

  /** Offset in `chunk` just after the first close delimiter (one may start in the carry), or -1. */
  private closeEnd(chunk: Buffer): number {
    const n = this.close.length
    if (this.carry.length > 0) {
      const seam = Buffer.concat([this.carry, chunk.subarray(0, n - 1)])
      const at = seam.indexOf(this.close)
      if (at >= 0) return at + n - this.carry.length
    }
    const at = chunk.indexOf(this.close)
    return at < 0 ? -1 : at + n
  }

  private remember(chunk: Buffer): void {
    const keep = this.close.length - 1
    this.carry =
      chunk.length >= keep
        ? Buffer.from(chunk.subarray(chunk.length - keep))
        : Buffer.concat([this.carry, chunk]).subarray(-keep)
  }
}
