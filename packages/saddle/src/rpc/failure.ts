import { isHttpError } from '@skitai/was'

/**
 * A failed RPC call, described the way the same call over plain HTTP would have failed: `status` is the
 * HTTP status it would have had (404 no such method, 400 bad arguments, 401/403/405, 500 exception).
 */
export interface RpcFailure {
  status: number
  message: string
  /** Only in debug mode. */
  stack: string | undefined
  /** Set when no route answers to the method name (JSON-RPC -32601). */
  noMethod?: boolean
}

export function toFailure(err: unknown, debug: boolean): RpcFailure {
  if (isHttpError(err)) {
    // The detail is what an HTTP error body shows next to the message ("Unauthorized" alone does not say
    // whether the credentials were missing or wrong).
    const message = err.detail ? `${err.message}: ${err.detail}` : err.message
    return { status: err.status, message, stack: debug ? err.stack : undefined }
  }
  if (err instanceof Error) {
    return { status: 500, message: err.message || err.name, stack: debug ? err.stack : undefined }
  }
  return { status: 500, message: String(err), stack: undefined }
}

export function noSuchMethod(methodName: string): RpcFailure {
  return { status: 404, message: `no such method: ${methodName}`, stack: undefined, noMethod: true }
}

export function badRequest(message: string): RpcFailure {
  return { status: 400, message, stack: undefined }
}

/** XML-RPC faultString: the message, and the stack after it in debug mode. */
export function faultString(f: RpcFailure): string {
  return f.stack === undefined ? f.message : `${f.message}\n${f.stack}`
}

/** Refuse values that only make sense as an HTTP response (streams, web Responses) before encoding. */
export function assertRpcValue(value: unknown): void {
  if (typeof value !== 'object' || value === null) return
  if (typeof (value as { pipe?: unknown }).pipe === 'function' || Symbol.asyncIterator in value) {
    throw new TypeError('a stream cannot be returned to an RPC call')
  }
  if (typeof Response !== 'undefined' && value instanceof Response) {
    throw new TypeError('a web Response cannot be returned to an RPC call')
  }
}
