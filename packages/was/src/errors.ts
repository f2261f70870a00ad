/**
 * An error that carries an HTTP status. Thrown anywhere in a request (a handler, a hook, `task.fetch()`,
 * the engine's body reader) it becomes a response with that status instead of a 500.
 * It lives in @skitai/was, the package every other package imports, so all of them share one class.
 */
export class HttpError extends Error {
  readonly status: number
  /** Optional longer explanation shown in error bodies (`detail`). */
  readonly detail: string | undefined
  /**
   * Extra response headers, e.g. `Allow` for 405 or `WWW-Authenticate` for 401. An array value goes out
   * as several header lines (digest auth offers one `WWW-Authenticate` challenge per algorithm).
   */
  readonly headers: Record<string, string | string[]> | undefined
  /** Whether the connection should be closed after this response (e.g. a 413 whose body was not read). */
  closeConnection: boolean

  constructor(
    status: number,
    message?: string,
    options?: { detail?: string; headers?: Record<string, string | string[]>; cause?: unknown; close?: boolean },
  ) {
    super(message ?? defaultReason(status), options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HttpError'
    this.status = status
    this.detail = options?.detail
    this.headers = options?.headers
    this.closeConnection = options?.close ?? false
  }
}

export function isHttpError(e: unknown): e is HttpError {
  return e instanceof HttpError
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

export function defaultReason(status: number): string {
  return REASONS[status] ?? `HTTP ${status}`
}
