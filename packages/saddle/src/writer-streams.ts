import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { STATUS_CODES, type ServerResponse } from 'node:http'
import { basename } from 'node:path'
import { Readable, type Transform, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { answerPrecondition, answerRange, chooseEncoding } from '@skitai/engine'
import { defaultReason, HttpError } from '@skitai/was'
import { mimeTypesLib } from './lazy-app-libs.js'
import type { FileResult, HeaderValue } from './response.js'
import type { SaddleWas } from './saddle-was.js'

// The writers of bodies that are not held in memory: files, node streams, web `Response` bodies,
// (async) iterables and generators. Each writes its own `writeHead` (writer.ts `writeValue` picks one).

type Headers = Record<string, HeaderValue>

const HTML = 'text/html; charset=utf-8'
const OCTETS = 'application/octet-stream'

/** A `FileResult`: validators from its stat, then a precondition, a range or the whole file, read from disk. */
export async function writeFile(
  was: SaddleWas,
  file: FileResult,
  status: number,
  reason: string | null,
  headers: Headers,
): Promise<void> {
  let size: number
  try {
    const st = await stat(file.path)
    if (!st.isFile()) throw new Error('not a file')
    size = st.size
    if (headers['last-modified'] === undefined) headers['last-modified'] = st.mtime.toUTCString()
    // the validator `send` gives static files: size and mtime
    if (headers['etag'] === undefined) headers['etag'] = `W/"${size.toString(16)}-${st.mtimeMs.toString(16)}"`
  } catch {
    throw new HttpError(404, 'Not Found', { detail: `no such file: ${basename(file.path)}` })
  }
  if (headers['content-type'] === undefined) {
    headers['content-type'] = file.mimetype ?? (mimeTypesLib().contentType(basename(file.path)) || OCTETS)
  }
  if (file.filename !== null) headers['content-disposition'] = contentDisposition(file.filename)
  headers['accept-ranges'] = 'bytes'
  const res = was.nodeResponse
  const req = was.nodeRequest
  let start = 0
  let end = size - 1
  if (was.requestContext.conditional) {
    if (answerPrecondition(req, res, status, headers)) return
    const r = answerRange(req, res, status, headers, size)
    if (r === true) return
    if (r !== null) {
      status = 206
      reason = null
      start = r.start
      end = r.end
    }
  }
  const encoding = status === 206 ? null : chooseEncoding(was.requestContext, was.isHead, status, headers, size)
  if (encoding === null && status !== 206) headers['content-length'] = String(size)
  res.writeHead(status, reason ?? STATUS_CODES[status] ?? defaultReason(status), headers)
  if (was.isHead || size === 0) return void res.end()
  // only the bytes asked for are read (createReadStream with start/end)
  const source = createReadStream(file.path, { start, end })
  if (encoding === null) await pipeStream(source, res)
  else await pipeStream(source, res, was.requestContext.compression!.encoder(encoding))
}

/** `attachment; filename="ascii"; filename*=UTF-8''…` (RFC 6266), quotes and controls removed. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

export async function writeWebResponse(was: SaddleWas, r: Response, headers: Headers): Promise<void> {
  r.headers.forEach((v, k) => {
    if (k !== 'set-cookie') headers[k] = v
  })
  const cookies = r.headers.getSetCookie()
  if (cookies.length > 0) {
    const old = headers['set-cookie']
    headers['set-cookie'] = old === undefined ? cookies : [...(Array.isArray(old) ? old : [old]), ...cookies]
  }
  const res = was.nodeResponse
  if (r.body === null) {
    if (headers['content-length'] === undefined && r.status !== 204 && r.status !== 304) headers['content-length'] = '0'
    res.writeHead(r.status, r.statusText || STATUS_CODES[r.status] || defaultReason(r.status), headers)
    return void res.end()
  }
  if (was.requestContext.conditional && answerPrecondition(was.nodeRequest, res, r.status, headers))
    return void (await r.body.cancel())
  const encoding = chooseEncoding(was.requestContext, was.isHead, r.status, headers, -1)
  res.writeHead(r.status, r.statusText || STATUS_CODES[r.status] || defaultReason(r.status), headers)
  if (was.isHead) {
    await r.body.cancel()
    return void res.end()
  }
  const source = Readable.fromWeb(r.body as any)
  await pipeStream(source, res, encoding === null ? null : was.requestContext.compression!.encoder(encoding))
}

export async function writeStream(
  was: SaddleWas,
  stream: Readable,
  status: number,
  reason: string | null,
  headers: Headers,
): Promise<void> {
  if (headers['content-type'] === undefined) {
    headers['content-type'] = (stream as any).readableEncoding || (stream as any).readableObjectMode ? HTML : OCTETS
  }
  const res = was.nodeResponse
  if (was.requestContext.conditional && answerPrecondition(was.nodeRequest, res, status, headers))
    return void stream.destroy()
  const encoding = chooseEncoding(was.requestContext, was.isHead, status, headers, -1)
  res.writeHead(status, reason ?? STATUS_CODES[status] ?? defaultReason(status), headers)
  if (was.isHead) {
    stream.destroy()
    return void res.end()
  }
  await pipeStream(stream, res, encoding === null ? null : was.requestContext.compression!.encoder(encoding))
}

/** Pipes a body into the response, through a compressing stream when one is given. */
async function pipeStream(stream: Readable, res: ServerResponse, encoder: Transform | null = null): Promise<void> {
  try {
    if (encoder === null) await pipeline(stream, res)
    else await pipeline(stream, encoder, res)
  } catch {
    // The client went away or the source failed mid-body: the connection is cut (pipeline destroyed
    // `res`), which is the only honest signal left once headers are out.
  }
}

/**
 * Streams an (async) iterable or generator, chunked. The first chunk is read before the headers are
 * written, so its type picks the default Content-Type and an error before it becomes an error page.
 */
export async function writeIterable(
  was: SaddleWas,
  src: any,
  status: number,
  reason: string | null,
  headers: Headers,
): Promise<void> {
  const it = typeof src[Symbol.asyncIterator] === 'function' ? src[Symbol.asyncIterator]() : src
  const res = was.nodeResponse
  let step = await it.next()
  if (headers['content-type'] === undefined) {
    headers['content-type'] = step.done || typeof step.value === 'string' ? HTML : OCTETS
  }
  if (was.requestContext.conditional && answerPrecondition(was.nodeRequest, res, status, headers))
    return void (await it.return?.())
  const encoding = chooseEncoding(was.requestContext, was.isHead, status, headers, -1)
  res.writeHead(status, reason ?? STATUS_CODES[status] ?? defaultReason(status), headers)
  if (was.isHead) {
    await it.return?.()
    return void res.end()
  }
  // compressed: chunks go through an encoder that flushes each one (compression.ts), so they still
  // reach the client as the handler yields them
  let out: Writable = res
  if (encoding !== null) {
    const encoder = was.requestContext.compression!.encoder(encoding)
    encoder.pipe(res)
    encoder.on('error', () => res.destroy())
    out = encoder
  }
  try {
    while (!step.done) {
      if (res.destroyed) {
        await it.return?.()
        return
      }
      const chunk = step.value
      if (chunk !== undefined && chunk !== null && chunk !== '') {
        const data = typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk)
        if (!out.write(data)) await drain(out, res)
      }
      step = await it.next()
    }
    out.end()
  } catch (e) {
    was.app.logError(e, was, 'streamed response failed')
    res.destroy()
  }
}

function drain(out: Writable, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done)
      res.off('close', done)
      resolve()
    }
    out.on('drain', done)
    res.on('close', done)
  })
}
