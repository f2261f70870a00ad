import { defaultReason, HttpError } from '@skitai/was'
import type { SaddleWas } from './saddle-was.js'

/** What `app.errorHandler(code, fn)` / `app.defaultErrorHandler(fn)` receive as `error` (README "Hooks, errors, guards"). */
export interface ErrorInfo {
  code: number
  message: string
  detail: string | undefined
  /** ISO time of the failure. */
  time: string
  /** The request URI. */
  url: string
  /** 'debug' when `app.debug`, else 'production'. */
  mode: 'debug' | 'production'
  /** The stack, only when `app.debug`. */
  traceback: string | undefined
  /** The thrown value itself. */
  error: unknown
}

export function errorInfo(was: SaddleWas, error: unknown): ErrorInfo {
  const debug = was.app.debug
  let code = 500
  let message = defaultReason(500)
  let detail: string | undefined
  if (error instanceof HttpError) {
    code = error.status
    message = error.message
    detail = error.detail
  } else if (debug && error instanceof Error) {
    detail = `${error.name}: ${error.message}`
  }
  return {
    code,
    message,
    detail,
    time: new Date().toISOString(),
    url: was.uri,
    mode: debug ? 'debug' : 'production',
    traceback: debug && error instanceof Error ? error.stack : undefined,
    error,
  }
}

/** Whether the client wants HTML error pages (its `Accept` contains `text/html`). */
export function wantsHtml(was: SaddleWas): boolean {
  const accept = was.rawHeader('accept')
  return accept?.includes('text/html') === true
}

/** The default error body: HTML for browsers, JSON `{code, message, detail?, traceback?}` otherwise. */
export function defaultErrorBody(was: SaddleWas, info: ErrorInfo): { type: string; body: string } {
  if (wantsHtml(was)) {
    const parts = [
      `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${info.code} ${esc(info.message)}</title></head><body>`,
      `<h1>${info.code} ${esc(info.message)}</h1>`,
    ]
    if (info.detail !== undefined) parts.push(`<p>${esc(info.detail)}</p>`)
    if (info.traceback !== undefined) parts.push(`<pre>${esc(info.traceback)}</pre>`)
    parts.push(`<hr><address>${esc(info.url)} · ${info.time}</address></body></html>`)
    return { type: 'text/html; charset=utf-8', body: parts.join('') }
  }
  const body: Record<string, unknown> = { code: info.code, message: info.message }
  if (info.detail !== undefined) body.detail = info.detail
  if (info.traceback !== undefined) body.traceback = info.traceback
  return { type: 'application/json', body: JSON.stringify(body) }
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!)
}
