/**
 * Request encoding and response decoding (README "Collecting: `Task`"): JSON → value, an XML-RPC response → its value
 * or a fault, a JSON-RPC response → its result or error, text/* → string, anything else → Buffer.
 * XML-RPC goes through the shared safe codec (xmlrpc-values.ts, xmlrpc-decode.ts).
 */
import { parseJsonSafely } from './safe-json.js'
import { decodeXmlRpcReply, XmlRpcDecodeError } from './xmlrpc-decode.js'
import { encodeXmlRpcCall } from './xmlrpc-values.js'

/** What a call expects back, which decides how the body is read. */
export const KIND_HTTP = 0
export const KIND_XMLRPC = 1
export const KIND_JSONRPC = 2
export type Kind = typeof KIND_HTTP | typeof KIND_XMLRPC | typeof KIND_JSONRPC

export interface Fault {
  code: number | string
  message: string
}

/** Decoded body: `data`, or `fault`, or `error` when the body could not be read. */
export interface Decoded {
  data: unknown
  fault: Fault | null
  error: Error | null
}

/** Dates go as UTC, bigint as <i8>; throws TypeError for a value that cannot be sent (a cycle). */
export function serializeXmlrpcCall(method: string, params: unknown[]): string {
  return encodeXmlRpcCall(method, params, 'utf8')
}

/** One call per HTTP exchange, so a constant id does; it also keeps identical calls cacheable. */
export function serializeJsonrpcCall(method: string, params: unknown[]): string {
  return JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 })
}

function isJsonType(ct: string): boolean {
  // application/json, application/json-rpc, application/problem+json, …
  return ct.startsWith('application/json') || /^application\/[^;]*\+json/.test(ct)
}

/** Parse the body of a finished response by its content type. Never throws. */
export function decodeBody(kind: Kind, method: string, statusCode: number, contentType: string, body: Buffer): Decoded {
  const out: Decoded = { data: null, fault: null, error: null }
  if (body.length === 0 || method === 'HEAD' || statusCode === 204 || statusCode === 304) return out
  const ct = contentType.toLowerCase()
  try {
    if (isJsonType(ct) || (kind === KIND_JSONRPC && ct === '')) {
      const value = parseJsonSafely(body.toString('utf8'))
      if (kind === KIND_JSONRPC) unwrapJsonrpc(value, out)
      else out.data = value
    } else if (ct.includes('xml') && (kind === KIND_XMLRPC || looksLikeMethodResponse(body))) {
      decodeXmlrpc(body, out)
    } else if (ct.startsWith('text/')) {
      out.data = decodeText(body, ct)
    } else {
      out.data = body
    }
  } catch (e) {
    out.error = new Error(`invalid ${ct || 'untyped'} response body: ${(e as Error).message}`, { cause: e })
    out.data = null
  }
  return out
}

function unwrapJsonrpc(value: unknown, out: Decoded): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error('not a JSON-RPC response object')
  const v = value as { result?: unknown; error?: { code?: unknown; message?: unknown } }
  if (v.error !== undefined && v.error !== null) {
    out.fault = { code: (v.error.code as number) ?? -32603, message: String(v.error.message ?? 'JSON-RPC error') }
  } else if ('result' in v) {
    out.data = v.result
  } else {
    throw new Error('JSON-RPC response has neither result nor error')
  }
}

function looksLikeMethodResponse(body: Buffer): boolean {
  return body.subarray(0, 200).toString('latin1').includes('<methodResponse')
}

/** Safe decoding (no __proto__ members, bounded depth, zone-less dates as UTC); never throws. */
function decodeXmlrpc(body: Buffer, out: Decoded): void {
  try {
    const reply = decodeXmlRpcReply(body.toString('utf8'))
    if (reply.fault !== null) out.fault = { code: reply.fault.faultCode, message: reply.fault.faultString }
    else out.data = reply.value
  } catch (e) {
    if (!(e instanceof XmlRpcDecodeError)) throw e
    out.error = new Error(`invalid XML-RPC response: ${e.message}`, { cause: e })
  }
}

const decoders = new Map<string, TextDecoder>()
function decodeText(body: Buffer, ct: string): string {
  const m = /charset=["']?([^;"'\s]+)/.exec(ct)
  const cs = m === null ? 'utf-8' : (m[1] as string)
  if (cs === 'utf-8' || cs === 'utf8') return body.toString('utf8')
  let d = decoders.get(cs)
  if (d === undefined) {
    try {
      d = new TextDecoder(cs)
    } catch {
      d = new TextDecoder('utf-8')
    }
    decoders.set(cs, d)
  }
  return d.decode(body)
}
