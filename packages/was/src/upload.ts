/**
 * Multipart bodies for `was.upload(url, data)`. Written as a streamed async generator rather than
 * undici's FormData because FormData only takes Blobs: a Readable stream would have to be buffered
 * whole first. Files (paths through `fileFrom`, Buffers, streams) are streamed part by part.
 */
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'

const FILE = Symbol('skitai.uploadFile')

/** A file on disk to upload: `was.upload(url, { photo: fileFrom('/tmp/a.jpg') })`. */
export interface UploadFile {
  readonly [FILE]: true
  readonly path: string
  readonly filename: string
  readonly contentType: string
}

/**
 * Mark a path as a file to upload. Plain strings in upload data are always form fields: treating any
 * string that names an existing file as a file would let a form value leak local files.
 */
export function fileFrom(path: string | URL, opts: { filename?: string; contentType?: string } = {}): UploadFile {
  const p = typeof path === 'string' ? path : fileURLToPath(path)
  return {
    [FILE]: true,
    path: p,
    filename: opts.filename ?? basename(p),
    contentType: opts.contentType ?? 'application/octet-stream',
  }
}

function isUploadFile(v: unknown): v is UploadFile {
  return typeof v === 'object' && v !== null && (v as { [FILE]?: true })[FILE] === true
}

function isStream(v: unknown): v is NodeJS.ReadableStream | AsyncIterable<Uint8Array> {
  return (
    typeof v === 'object' &&
    v !== null &&
    (typeof (v as { pipe?: unknown }).pipe === 'function' ||
      typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')
  )
}

// Field names and file names are quoted; the HTML spec percent-encodes ", CR and LF in them.
function quote(s: string): string {
  return s.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

export interface Multipart {
  body: AsyncIterable<Uint8Array>
  contentType: string
}

/**
 * Encode `data` (field name → string | number | boolean | Buffer | stream | fileFrom(path), or an
 * array of those for a repeated field) as multipart/form-data. URLs with the file: scheme are files.
 */
export function multipart(data: Record<string, unknown>): Multipart {
  if (data === null || typeof data !== 'object') throw new TypeError('was.upload: data must be an object of fields')
  const boundary = `----skitai${randomBytes(12).toString('hex')}`
  const entries: Array<[string, unknown]> = []
  for (const k of Object.keys(data)) {
    const v = data[k]
    if (Array.isArray(v)) for (const x of v) entries.push([k, x])
    else if (v !== undefined) entries.push([k, v])
  }
  async function* gen(): AsyncGenerator<Uint8Array> {
    for (const [name, raw] of entries) {
      const v = raw instanceof URL && raw.protocol === 'file:' ? fileFrom(raw) : raw
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"`
      if (isUploadFile(v)) {
        yield Buffer.from(`${head}; filename="${quote(v.filename)}"\r\nContent-Type: ${v.contentType}\r\n\r\n`)
        yield* createReadStream(v.path)
      } else if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
        yield Buffer.from(`${head}; filename="${quote(name)}"\r\nContent-Type: application/octet-stream\r\n\r\n`)
        yield v
      } else if (isStream(v)) {
        const fn =
          typeof (v as { path?: unknown }).path === 'string' ? basename((v as unknown as { path: string }).path) : name
        yield Buffer.from(`${head}; filename="${quote(fn)}"\r\nContent-Type: application/octet-stream\r\n\r\n`)
        for await (const chunk of v as AsyncIterable<Uint8Array | string>)
          yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      } else {
        head += '\r\n\r\n'
        const text = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)
        yield Buffer.from(head + text)
      }
      yield Buffer.from('\r\n')
    }
    yield Buffer.from(`--${boundary}--\r\n`)
  }
  return { body: gen(), contentType: `multipart/form-data; boundary=${boundary}` }
}
