import { randomUUID } from 'node:crypto'
import { createWriteStream, unlinkSync, type WriteStream } from 'node:fs'
import { copyFile, mkdir, readFile, rename, stat, unlink } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { extname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { HttpError } from '@skitai/was'
import type busboy from 'busboy'
import { parseForm } from './args.js'
import { busboyLib } from './lazy-app-libs.js'
import { EpilogueCut, multipartBoundary } from './multipart-epilogue.js'

/**
 * The original file name made safe (README "Uploads"): basename, leading dots stripped, runs of whitespace and
 * `\"':;|><&?` (and control characters) → `_`, empty → `noname`.
 */
export function sanitizeFilename(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1)
  const out = base.replace(/^\.+/, '').replace(/[\s\x00-\x1f\x7f\\"':;|><&?]+/g, '_')
  return out === '' ? 'noname' : out
}

export interface SaveOptions {
  /** File name to save as (sanitized too); default the uploaded file's `name`. */
  name?: string
  /** Create `intoDir` (recursively) when missing. */
  mkdir?: boolean
  /** `'u'` (default): a unique name when the target exists (`a-1.txt`); `'o'`: overwrite. */
  dup?: 'u' | 'o'
}

/** A multipart file argument: a temporary file removed when the request ends unless saved. */
export class UploadedFile {
  /** Current location: the temporary file, or where `save()` put it. */
  path: string
  /** Original file name, sanitized. */
  readonly name: string
  size: number
  readonly mimetype: string
  /** @internal the form field it came in */
  readonly field: string
  private kept: boolean

  constructor(field: string, path: string, name: string, mimetype: string) {
    this.field = field
    this.path = path
    this.name = sanitizeFilename(name)
    this.size = 0
    this.mimetype = mimetype
    this.kept = false
  }

  /** Moves the file into `intoDir`; returns the final path. */
  async save(intoDir: string, options: SaveOptions = {}): Promise<string> {
    if (options.mkdir) await mkdir(intoDir, { recursive: true })
    const name = options.name === undefined ? this.name : sanitizeFilename(options.name)
    let dest = join(intoDir, name)
    if ((options.dup ?? 'u') === 'u') {
      const ext = extname(name)
      const stem = name.slice(0, name.length - ext.length)
      for (let n = 1; await exists(dest); n++) dest = join(intoDir, `${stem}-${n}${ext}`)
    }
    try {
      await rename(this.path, dest)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e
      await copyFile(this.path, dest)
      await unlink(this.path)
    }
    this.path = dest
    this.kept = true
    return dest
  }

  read(): Promise<Buffer> {
    return readFile(this.path)
  }

  /** Deletes the file (temporary or saved). */
  async remove(): Promise<void> {
    this.kept = true
    await unlink(this.path).catch(() => {})
  }

  /** @internal request end: removes the temporary file unless it was saved or removed. */
  discard(): void {
    if (this.kept) return
    this.kept = true
    // Synchronous on purpose: when the response is out, the temporary file is gone (a few µs per file).
    try {
      unlinkSync(this.path)
    } catch {}
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, size: this.size, mimetype: this.mimetype }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch {
    return false
  }
}

/** Resolves once the file's descriptor is closed (at once when it already is). */
function closedOf(out: WriteStream): Promise<void> {
  return out.closed ? Promise.resolve() : new Promise<void>((r) => out.once('close', () => r()))
}

const madeDirs = new Map<string, Promise<unknown>>()

export interface MultipartLimits {
  /** Whole body limit (bytes). */
  maxBodySize: number
  /** Per file limit (bytes). */
  maxFileSize: number
  /** Directory of the temporary files. */
  tempDir: string
  /** Where the UploadedFiles are recorded (the request's list, cleaned at request end). */
  files: UploadedFile[]
}

/**
 * Streams a multipart body with busboy: fields → strings (type prefixes applied as for urlencoded
 * forms), files → temporary files. Over a limit → 413 (the partial files are removed at once and the
 * connection is closed); a malformed body → 400.
 */
export async function parseMultipart(req: IncomingMessage, limits: MultipartLimits): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'])
  if (declared > limits.maxBodySize) {
    throw new HttpError(413, 'Payload Too Large', {
      detail: `the multipart body is over the limit of ${limits.maxBodySize} bytes`,
      close: true,
    })
  }
  let dirReady = madeDirs.get(limits.tempDir)
  if (dirReady === undefined) {
    dirReady = mkdir(limits.tempDir, { recursive: true })
    madeDirs.set(limits.tempDir, dirReady)
  }
  await dirReady

  let bb: busboy.Busboy
  try {
    bb = busboyLib()({
      headers: req.headers,
      // busboy flags a file that reaches its fileSize; the limit is the largest size allowed, so one more
      limits: { fileSize: limits.maxFileSize + 1, fieldSize: Math.min(limits.maxBodySize, 1 << 20), parts: 1000 },
    })
  } catch (e) {
    throw new HttpError(400, 'malformed multipart request', { detail: (e as Error).message })
  }

  // busboy must not parse past the close delimiter (multipart-epilogue.ts)
  const boundary = multipartBoundary(req.headers['content-type'])
  const cut = boundary === undefined ? null : new EpilogueCut(boundary)
  const mine: UploadedFile[] = []
  const streams: Readable[] = []
  const outs: WriteStream[] = []
  const writes: Promise<void>[] = []
  const fields = new URLSearchParams()
  let failure: HttpError | null = null
  let received = 0

  return new Promise((resolve, reject) => {
    const fail = (err: HttpError) => {
      if (failure !== null) return
      failure = err
      if (cut === null) req.unpipe(bb)
      else {
        req.unpipe(cut)
        cut.unpipe(bb)
      }
      req.off('data', count)
      // Discard what the client is still sending; the 413 answer closes the connection.
      req.resume()
      // Stop every file part and its temporary file now, then remove the files once their descriptors
      // are closed. Not by waiting for the pipelines: a part busboy has ended but not yet delivered its
      // 'end' (the part or file-size limit fires in between) never settles its pipeline when destroyed.
      for (const st of streams) {
        st.unpipe()
        st.destroy()
      }
      for (const out of outs) out.destroy()
      Promise.all(outs.map(closedOf)).then(() => {
        for (const f of mine) f.discard()
        reject(err)
      })
    }
    const tooLarge = (what: string) => fail(new HttpError(413, 'Payload Too Large', { detail: what, close: true }))
    const count = (chunk: Buffer) => {
      received += chunk.length
      if (received > limits.maxBodySize) tooLarge(`the multipart body is over the limit of ${limits.maxBodySize} bytes`)
    }

    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) return tooLarge(`form field '${name}' is too large`)
      fields.append(name, value)
    })
    bb.on('file', (name, stream: Readable, info) => {
      if (failure !== null) return void stream.resume()
      const file = new UploadedFile(
        name,
        join(limits.tempDir, `upload-${randomUUID()}`),
        info.filename ?? '',
        info.mimeType,
      )
      mine.push(file)
      streams.push(stream)
      limits.files.push(file)
      stream.on('data', (c: Buffer) => {
        file.size += c.length
      })
      stream.on('limit', () => tooLarge(`file '${file.name}' is over the limit of ${limits.maxFileSize} bytes`))
      const out = createWriteStream(file.path)
      outs.push(out)
      writes.push(
        pipeline(stream, out)
          .catch((e) => {
            fail(new HttpError(400, 'upload interrupted', { detail: (e as Error).message }))
          })
          // A pipeline can settle before the file is even opened (a part cut short): wait for the
          // descriptor to close so that removing the file afterwards cannot race its creation.
          .then(() => (out.closed ? undefined : new Promise<void>((r) => out.once('close', () => r())))),
      )
    })
    bb.on('partsLimit', () => tooLarge('too many parts in the multipart body'))
    bb.on('error', (e: Error) => fail(new HttpError(400, 'malformed multipart body', { detail: e.message })))
    bb.on('close', () => {
      Promise.all(writes).then(() => {
        if (failure !== null) return
        let out: Record<string, unknown>
        try {
          out = fields.size === 0 ? Object.create(null) : parseForm(fields.toString())
        } catch (e) {
          for (const f of mine) f.discard()
          return reject(e)
        }
        for (const f of mine) {
          const old = out[f.field]
          out[f.field] = old === undefined ? f : Array.isArray(old) ? [...old, f] : [old, f]
        }
        resolve(out)
      })
    })
    req.on('aborted', () => fail(new HttpError(400, 'the client aborted the upload')))
    req.on('data', count)
    if (cut === null) req.pipe(bb)
    else req.pipe(cut).pipe(bb)
  })
}
