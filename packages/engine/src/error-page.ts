import type { IncomingMessage, ServerResponse } from 'node:http'
import { defaultReason, isHttpError } from '@skitai/was'
import type { AccessLog } from './access-log.js'
import type { EngineRequestContext } from './request-context.js'

/** An error response ready to write: status, headers and body (empty for HEAD). */
export interface RenderedError {
  status: number
  /** An array value is written as several header lines. */
  headers: Record<string, string | number | string[]>
  body: string
}

/**
 * The engine's own error responses (a handler that threw, 404 with no mount, 503 over capacity):
 * JSON when the client asks for JSON, HTML otherwise; the stack only in debug mode.
 */
export function renderError(
  req: IncomingMessage,
  status: number,
  message: string,
  options: ErrorOptions = {},
): RenderedError {
  const detail = isHttpError(options.error) ? options.error.detail : undefined
  const stack = options.debug && options.error instanceof Error ? options.error.stack : undefined
  let body: string
  let type: string
  if (wantsJson(req)) {
    const obj: Record<string, unknown> = { code: status, message }
    if (detail !== undefined) obj.detail = detail
    if (stack !== undefined) obj.traceback = stack
    body = `${JSON.stringify(obj)}\n`
    type = 'application/json; charset=utf-8'
  } else {
    const title = `${status} ${escapeHtml(defaultReason(status))}`
    body =
      `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>` +
      `<body><h1>${title}</h1><p>${escapeHtml(message)}</p>` +
      (detail !== undefined ? `<p>${escapeHtml(detail)}</p>` : '') +
      (stack !== undefined ? `<pre>${escapeHtml(stack)}</pre>` : '') +
      '</body></html>\n'
    type = 'text/html; charset=utf-8'
  }
  const headers: Record<string, string | number | string[]> = {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  }
  if (options.headers) Object.assign(headers, options.headers)
  if (options.close) headers.Connection = 'close'
  return { status, headers, body: req.method === 'HEAD' ? '' : body }
}

/**
 * A handler threw or rejected: an `HttpError` keeps its status, message and headers; anything else is a
 * 500 without details. 5xx failures go to the server log with the transaction id and the stack.
 */
export function renderFailure(
  log: AccessLog,
  debug: boolean,
  err: unknown,
  req: IncomingMessage,
  ctx: EngineRequestContext | null,
): RenderedError {
  const http = isHttpError(err)
  const status = http ? err.status : 500
  if (status >= 500) {
    log.appError(err, ctx ? `${ctx.gtxnid}/${ctx.ltxnid}` : '-', `${req.method} ${(req as any).originalUrl ?? req.url}`)
  }
  return renderError(req, status, http ? err.message : 'Internal Server Error', {
    error: err,
    debug,
    headers: http ? err.headers : undefined,
    close: http ? err.closeConnection : false,
  })
}

/**
 * The engine answers for a handler that failed (threw, rejected, missed its deadline, let an error
 * escape): the error page, then the app still holding the request is told once (`holder.abandon`).
 */
export function answerFailure(
  log: AccessLog,
  debug: boolean,
  err: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: EngineRequestContext | null,
): void {
  writeError(res, renderFailure(log, debug, err, req, ctx))
  const holder = ctx?.holder ?? null
  if (holder === null) return
  ctx!.holder = null
  try {
    holder.abandon(err)
  } catch (e) {
    log.appError(e, ctx!.gtxnid, 'releasing an abandoned request')
  }
}

export interface ErrorOptions {
  error?: unknown
  debug?: boolean
  headers?: Record<string, string | string[]>
  close?: boolean
}

export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  options: ErrorOptions = {},
): void {
  writeError(res, renderError(req, status, message, options))
}

export function writeError(res: ServerResponse, e: RenderedError): void {
  if (res.headersSent) {
    // too late for a status line: cut the response short so the client sees it is incomplete
    if (!res.writableEnded) res.destroy()
    return
  }
  // an app may have set headers (cookies, content-type) before it failed: they do not belong to this page
  for (const name of res.getHeaderNames()) res.removeHeader(name)
  res.writeHead(e.status, e.headers)
  res.end(e.body.length > 0 ? e.body : undefined)
}

/** JSON when Accept names JSON and does not put HTML first. */
export function wantsJson(req: IncomingMessage): boolean {
  const accept = req.headers.accept
  if (accept === undefined) return false
  const j = accept.indexOf('json')
  if (j < 0) return false
  const h = accept.indexOf('text/html')
  return h < 0 || j < h
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string)
}
