/**
 * JSON-RPC 2.0 on route URLs (README "XML-RPC and JSON-RPC"): single calls and batches, params by position (array) or by name
 * (object), notifications (no reply), and the standard errors. The HTTP status the same call would have
 * had goes in `error.data.status`.
 */
import { parseJsonSafely } from '@skitai/was'
import type { CallOutcome } from './dispatch.js'
import type { RpcFailure } from './failure.js'

export const PARSE_ERROR = -32700
export const INVALID_REQUEST = -32600
export const METHOD_NOT_FOUND = -32601
export const INVALID_PARAMS = -32602
export const INTERNAL_ERROR = -32603
/** Implementation-defined server error (-32000…-32099): failures that are none of the above (401, 403, 405…). */
export const SERVER_ERROR = -32000

/** Largest batch answered; a bigger one is refused as a whole (fan-out amplification). */
export const MAX_BATCH = 100

type Id = string | number | null

export interface JsonRpcRequest {
  method: string
  params: unknown[] | Record<string, unknown> | undefined
  /** undefined for a notification */
  id: Id | undefined
}

export type CallFn = (methodName: string, params: JsonRpcRequest['params']) => Promise<CallOutcome>

/** Whether a parsed `application/json` body is a JSON-RPC request or batch (else it is an ordinary body). */
export function looksLikeJsonRpc(body: unknown): boolean {
  if (Array.isArray(body)) return body.length > 0 && body.some(isJsonRpcObject)
  return isJsonRpcObject(body)
}

function isJsonRpcObject(x: unknown): boolean {
  return typeof x === 'object' && x !== null && (x as { jsonrpc?: unknown }).jsonrpc === '2.0' && 'method' in x
}

/** Parse an `application/json-rpc` body: null plus a ready error reply when it is not JSON. */
export function parseJsonRpcBody(text: string): { ok: true; value: unknown } | { ok: false; reply: string } {
  try {
    return { ok: true, value: parseJsonSafely(text) }
  } catch (e) {
    const msg = (e as Error).message
    if (msg.startsWith('Object contains forbidden')) {
      return { ok: false, reply: errorReply(null, INVALID_REQUEST, `Invalid Request: ${msg}`, 400) }
    }
    return { ok: false, reply: errorReply(null, PARSE_ERROR, `Parse error: ${msg}`, 400) }
  }
}

/**
 * Answer a parsed JSON-RPC body. Returns the reply text, or null when nothing is to be sent (only
 * notifications) — the caller then answers 204.
 */
export async function answerJsonRpc(body: unknown, call: CallFn, debug: boolean): Promise<string | null> {
  if (!Array.isArray(body)) return answerOne(body, call, debug)
  if (body.length === 0) return errorReply(null, INVALID_REQUEST, 'Invalid Request: empty batch', 400)
  if (body.length > MAX_BATCH) {
    return errorReply(null, INVALID_REQUEST, `Invalid Request: batch of ${body.length} calls (max ${MAX_BATCH})`, 400)
  }
  // Calls of a batch run one after another: they share the request's `was` (session, cookies, response).
  const parts: string[] = []
  for (const item of body) {
    const r = await answerOne(item, call, debug)
    if (r !== null) parts.push(r)
  }
  return parts.length === 0 ? null : `[${parts.join(',')}]`
}

async function answerOne(item: unknown, call: CallFn, debug: boolean): Promise<string | null> {
  const req = validate(item)
  if (typeof req === 'string') return errorReply(idOf(item), INVALID_REQUEST, `Invalid Request: ${req}`, 400)
  const outcome = await call(req.method, req.params)
  if (req.id === undefined) return null // notification: no reply, whatever happened
  if (outcome.ok) {
    try {
      return `{"jsonrpc":"2.0","result":${encodeJson(outcome.value)},"id":${JSON.stringify(req.id)}}`
    } catch (e) {
      const f: RpcFailure = {
        status: 500,
        message: (e as Error).message,
        stack: debug ? (e as Error).stack : undefined,
      }
      return failureReply(req.id, f)
    }
  }
  return failureReply(req.id, outcome.failure)
}

/** A request object's problem as text, or the request. */
function validate(x: unknown): JsonRpcRequest | string {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return 'a request must be an object'
  const o = x as Record<string, unknown>
  if (o.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"'
  if (typeof o.method !== 'string' || o.method === '') return 'method must be a non-empty string'
  const params = o.params
  if (params !== undefined && (typeof params !== 'object' || params === null)) {
    return 'params must be an array or an object'
  }
  const hasId = Object.hasOwn(o, 'id')
  const id = o.id
  if (hasId && id !== null && typeof id !== 'string' && typeof id !== 'number') {
    return 'id must be a string, a number or null'
  }
  return { method: o.method, params: params as JsonRpcRequest['params'], id: hasId ? (id as Id) : undefined }
}

function idOf(x: unknown): Id {
  if (typeof x !== 'object' || x === null) return null
  const id = (x as { id?: unknown }).id
  return typeof id === 'string' || typeof id === 'number' ? id : null
}

/** HTTP status → JSON-RPC error code (a 404 raised by a handler is a server error, not "no such method"). */
function codeFor(f: RpcFailure): number {
  if (f.noMethod === true) return METHOD_NOT_FOUND
  switch (f.status) {
    case 400:
      return INVALID_PARAMS
    case 500:
      return INTERNAL_ERROR
    default:
      return SERVER_ERROR
  }
}

function failureReply(id: Id, f: RpcFailure): string {
  return errorReply(id, codeFor(f), f.message, f.status, f.stack)
}

export function errorReply(id: Id, code: number, message: string, status: number, stack?: string): string {
  const data: Record<string, unknown> = { status }
  if (stack !== undefined) data.stack = stack
  return JSON.stringify({ jsonrpc: '2.0', error: { code, message, data }, id })
}

/**
 * A result as JSON: Buffers as base64 strings (README "XML-RPC and JSON-RPC"), bigint as a number when safe else a decimal string,
 * undefined as null, Dates as ISO strings (their toJSON). Throws on cycles (JSON.stringify's TypeError).
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value, replacer) ?? 'null'
}

function replacer(this: any, key: string, value: unknown): unknown {
  const raw = this[key]
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64')
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
  return value
}

/** JSON-RPC params → the dispatcher's input. */
export function inputOf(
  params: JsonRpcRequest['params'],
): { positional: unknown[] } | { args: Record<string, unknown> } {
  if (params === undefined) return { positional: [] }
  if (Array.isArray(params)) return { positional: params }
  const args: Record<string, unknown> = Object.create(null)
  for (const k of Object.keys(params)) args[k] = params[k]
  return { args }
}
