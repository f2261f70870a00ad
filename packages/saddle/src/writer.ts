import { type OutgoingHttpHeaders, STATUS_CODES } from 'node:http'
import { Readable } from 'node:stream'
import { writeBodyAnswer, writeWholeAnswer } from '@skitai/engine'
import { defaultReason, HttpError } from '@skitai/was'
import { ApiResult, FaultResult } from './api.js'
import { defaultErrorBody, errorInfo } from './error-pages.js'
import { EarlyResponse } from './early-response.js'
import { isThenable } from './thenable.js'
import { FileResult, type HeaderValue, RedirectResult, SaddleResponse } from './response.js'
import type { SaddleWas } from './saddle-was.js'
import { appOf } from './lifecycle/app-of.js'
import type { Route } from './route.js'
import { encodeXmlRpcResponse } from '@skitai/was'
import { writeFile, writeIterable, writeStream, writeWebResponse } from './writer-streams.js'

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
  const text = reason ?? STATUS_CODES[status] ?? defaultReason(status)
  if (headers === null) {
    const length = String(size)
    writeWholeAnswer(
      res,
      status,
      text,
      defaultType === null ? { 'content-length': length } : { 'content-type': defaultType, 'content-length': length },
      body,
      size,
    )
  } else {
    if (defaultType !== null && headers['content-type'] === undefined) headers['content-type'] = defaultType
    headers['content-length'] = String(size)
    writeWholeAnswer(res, status, text, headers as OutgoingHttpHeaders, body, size)
  }
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
