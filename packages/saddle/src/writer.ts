import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { STATUS_CODES, type ServerResponse } from 'node:http'
import { basename } from 'node:path'
import { Readable, type Transform, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { answerPrecondition, answerRange, chooseEncoding, writeBodyAnswer } from '@skitai/engine'
import { defaultReason, HttpError } from '@skitai/was'
import { ApiResult, FaultResult } from './api.js'
import { defaultErrorBody, errorInfo } from './error-pages.js'
import { EarlyResponse } from './early-response.js'
import { isThenable } from './thenable.js'
import { mimeTypesLib } from './lazy-app-libs.js'
import { FileResult, type HeaderValue, RedirectResult, SaddleResponse } from './response.js'
import type { SaddleWas } from './saddle-was.js'
import { appOf } from './lifecycle/app-of.js'
import type { Route } from './route.js'
import { encodeXmlRpcResponse } from '@skitai/was'

type Headers = Record<string, HeaderValue>

const HTML = 'text/html; charset=utf-8'
const TEXT = 'text/plain; charset=utf-8'
const JSON_TYPE = 'application/json'
const OCTETS = 'application/octet-stream'

/**
 * Writes a handler's return value (README "The app") with the status and headers of `was.response`, after the
 * state commit step (cookies, session). Returns a promise only when something is asynchronous
 * (state commit, files, streams).
 */
export function writeResult(was: SaddleWas, value: unknown): void | Promise<void> {
  const c = was.commitState()
  if (c !== undefined) return c.then(() => writeValue(was, value))
  return writeValue(was, value)
}

function writeValue(was: SaddleWas, value: unknown): void | Promise<void> {
  if (was.nodeResponse.headersSent) {
    // The handler wrote to the Node response itself; it owns the answer.
    return
  }
  const r = was.builtResponse
  // null when the handler set no header: `send` then writes a small literal object (see there)
  const common: Headers | null = r === null ? null : r.headerMap
  let status = r === null ? 200 : r.statusCode
  const reason = r === null ? null : r.reason

  switch (typeof value) {
    case 'string':
      return send(was, status, reason, common, HTML, value)
    case 'undefined':
      if (status === 200 && (r === null || !r.statusChosen)) status = 204
      return send(was, status, reason, common, null, status === 204 || status === 304 ? null : '')
    case 'number':
    case 'boolean':
    case 'bigint':
      return send(was, status, reason, common, TEXT, String(value))
    case 'object':
      break
    default:
      throw new HttpError(500, `a handler returned a ${typeof value}, which cannot be sent`)
  }
  if (value === null) return send(was, status, reason, common, JSON_TYPE, 'null')
  if (value instanceof Uint8Array) return send(was, status, reason, common, OCTETS, value)
  if (Array.isArray(value)) return send(was, status, reason, common, JSON_TYPE, JSON.stringify(value))
  const proto = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) {
    return send(was, status, reason, common, JSON_TYPE, JSON.stringify(value))
  }
  const headers: Headers = common ?? Object.create(null)
  if (value instanceof ApiResult) return writeApi(was, value, headers)
  if (value instanceof FaultResult) {
    return send(was, value.status, null, headers, JSON_TYPE, JSON.stringify(value.body))
  }
  if (value instanceof RedirectResult) return writeRedirect(was, value.status, value.location, headers)
  if (value instanceof SaddleResponse) {
    // `return was.response.status(201)`: the status and headers set, no body.
    return send(was, status, reason, headers, null, status === 204 || status === 304 ? null : '')
  }
  if (value instanceof FileResult) return writeFile(was, value, status, reason, headers)
  if (typeof Response !== 'undefined' && value instanceof Response) return writeWebResponse(was, value, headers)
  if (value instanceof Readable) return writeStream(was, value, status, reason, headers)
  const v = value as any
  if (typeof v[Symbol.asyncIterator] === 'function' || typeof v.next === 'function') {
    return writeIterable(was, v, status, reason, headers)
  }
  if (isThenable(value)) return (value as Promise<unknown>).then((x) => writeValue(was, x))
  if (typeof v.getwait === 'function') return awaitTask(v).then((x) => writeValue(was, x))
  // Dates, class instances with toJSON, Maps…: JSON as JSON.stringify sees them.
  return send(was, status, reason, headers, JSON_TYPE, JSON.stringify(value))
}

/** A returned `Task`: its data, or the HTTP error `task.fetch()` raises (502/504). */
function awaitTask(task: any): Promise<unknown> {
  return typeof task.fetch === 'function' ? task.fetch() : task.getwait().then((r: any) => r.data)
}

/**
 * The one place that calls writeHead for bodies held in memory. `headers` null (the handler set none):
 * a two-field object literal, which node's writeHead walks faster than a null-prototype dictionary.
 * A body over the compression threshold, or a request with Range/If-* headers, goes through the engine's
 * writeBodyAnswer (README "Compression", "Ranges and conditional requests"); the rest pays one comparison.
 */
export function send(
  was: SaddleWas,
  status: number,
  reason: string | null,
  headers: Headers | null,
  defaultType: string | null,
  body: string | Uint8Array | null,
): void | Promise<void> {
  const res = was.nodeResponse
  if (body === null) {
    res.writeHead(status, reason ?? STATUS_CODES[status] ?? defaultReason(status), headers ?? undefined)
    return void res.end()
  }
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
  const ctx = was.requestContext
  const c = ctx.compression
  if ((c !== null && size > c.minSize) || ctx.conditional) {
    const h: Headers = headers ?? Object.create(null)
    if (defaultType !== null && h['content-type'] === undefined) h['content-type'] = defaultType
    return writeBodyAnswer(
      was.nodeRequest,
      res,
      ctx,
      status,
      reason ?? STATUS_CODES[status] ?? defaultReason(status),
      h,
      body,
    )
  }
  if (headers === null) {
    const length = String(size)
    res.writeHead(
      status,
      reason ?? STATUS_CODES[status] ?? defaultReason(status),
      defaultType === null ? { 'content-length': length } : { 'content-type': defaultType, 'content-length': length },
    )
  } else {
    if (defaultType !== null && headers['content-type'] === undefined) headers['content-type'] = defaultType
    headers['content-length'] = String(size)
    res.writeHead(status, reason ?? STATUS_CODES[status] ?? defaultReason(status), headers)
  }
  res.end(body)
}

function writeApi(was: SaddleWas, api: ApiResult, headers: Headers): void | Promise<void> {
  const status = api.status ?? was.builtResponse?.statusCode ?? 200
  const accept = was.rawHeader('accept')
  if (accept?.startsWith('text/xml')) {
    return send(was, status, null, headers, 'text/xml', encodeXmlRpcResponse(api.data))
  }
  const body = api.data === undefined ? '{}' : JSON.stringify(api.data)
  return send(was, status, null, headers, JSON_TYPE, body)
}

export function writeRedirect(
  was: SaddleWas,
  status: number,
  location: string,
  headers: Headers,
): void | Promise<void> {
  headers['location'] = location
  const body = `<!DOCTYPE html><html><body>Redirecting to <a href="${location.replace(/"/g, '%22').replace(/</g, '%3C')}">here</a></body></html>`
  return send(was, status, null, headers, HTML, body)
}

async function writeFile(
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

async function writeWebResponse(was: SaddleWas, r: Response, headers: Headers): Promise<void> {
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

async function writeStream(
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
async function writeIterable(
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

/**
 * Writes an error: an `EarlyResponse` (304/412) as it is; otherwise a custom `errorHandler(code)` or
 * `defaultErrorHandler` answer, else the default HTML/JSON body. The state commit runs for HttpErrors
 * (cookies set before a `throw` go out) and is skipped after an unhandled exception.
 */
export async function writeError(was: SaddleWas, error: unknown): Promise<void> {
  const res = was.nodeResponse
  if (res.headersSent) {
    was.app.logError(error, was, 'failed after the response had started')
    res.destroy()
    return
  }
  const isHttp = error instanceof HttpError
  if (!isHttp) was.app.logError(error, was)
  else await was.commitState()
  const r = was.builtResponse
  if (error instanceof EarlyResponse) {
    const headers: Headers = r === null ? Object.create(null) : r.headerMap
    if (error.headers !== undefined) Object.assign(headers, lower(error.headers))
    return send(was, error.status, null, headers, null, error.status === 304 ? null : '')
  }
  // Start from a clean header set: only cookies from the handler survive into the error page, and the
  // CORS headers of an allowed cross-origin request (so its caller can read the error).
  const headers: Headers = Object.create(null)
  if (r !== null) for (const k of CORS_KEPT) if (r.headerMap[k] !== undefined) headers[k] = r.headerMap[k]
  if (isHttp && r !== null && r.headerMap['set-cookie'] !== undefined) headers['set-cookie'] = r.headerMap['set-cookie']
  if (isHttp) {
    if (error.headers !== undefined) Object.assign(headers, lower(error.headers))
    if (error.closeConnection) headers['connection'] = 'close'
  }
  const info = errorInfo(was, error)
  const custom = appOf(was).errorHandlerFor(info.code, was.route as Route | null)
  if (custom !== null) {
    // The custom page starts from the same clean headers and the error's status.
    was.response.restartAsErrorPage(info.code, headers)
    try {
      let v = custom(was, info)
      if (isThenable(v)) v = await v
      if (v !== undefined) return await writeValue(was, v)
    } catch (e) {
      was.app.logError(e, was, 'error handler failed')
    }
  }
  const { type, body } = defaultErrorBody(was, info)
  return send(was, info.code, null, headers, type, body)
}

const CORS_KEPT = ['access-control-allow-origin', 'access-control-allow-credentials', 'vary'] as const

/** Header names lowercased; an array value stays an array, which writeHead sends as several lines. */
function lower(h: Record<string, string | string[]>): Headers {
  const out: Headers = Object.create(null)
  for (const k in h) out[k.toLowerCase()] = h[k]!
  return out
}

/** When even the error page could not be written: a plain 500, or a cut connection once headers are out. */
export function writeLastResort(was: SaddleWas, error: unknown): void {
  was.app.logError(error, was, 'could not write the error response')
  if (!was.nodeResponse.headersSent)
    void send(was, 500, null, Object.create(null), 'text/plain', 'Internal Server Error')
  else was.nodeResponse.destroy()
}
