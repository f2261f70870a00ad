/**
 * Request encoding and response decoding (SPEC §3.2): JSON → value, an XML-RPC response → its value
 * or a fault, a JSON-RPC response → its result or error, text/* → string, anything else → Buffer.
 * XML-RPC goes through the xmlrpc package's own serializer/deserializer (not its client).
 */
import { createRequire } from 'node:module'
import sjson from 'secure-json-parse'

const require = createRequire(import.meta.url)

interface XmlrpcDeserializer {
  deserializeMethodResponse(
    stream: unknown,
    cb: (err: (Error & { faultCode?: unknown; faultString?: unknown }) | null | undefined, value?: unknown) => void,
  ): void
}
const serializer = require('xmlrpc/lib/serializer') as {
  serializeMethodCall(method: string, params: unknown[], encoding?: string): string
}
const Deserializer = require('xmlrpc/lib/deserializer') as new (encoding?: string) => XmlrpcDeserializer

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

export function serializeXmlrpcCall(method: string, params: unknown[]): string {
  return serializer.serializeMethodCall(method, params, 'utf8')
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
      const value = sjson.parse(body.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' })
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

/**
 * The xmlrpc deserializer reads from a stream; its sax parser is synchronous, so feeding the whole body
 * through a minimal stream stand-in gives the value (or fault) before this function returns.
 */
function decodeXmlrpc(body: Buffer, out: Decoded): void {
  let settled = false
  const text = body.toString('utf8')
  const feed = {
    setEncoding() {},
    on() {},
    pipe(parser: { write(s: string): void; end(): void }) {
      parser.write(text)
      parser.end()
    },
  }
  new Deserializer('utf8').deserializeMethodResponse(feed, (err, value) => {
    if (settled) return
    settled = true
    if (err) {
      if (err.faultCode !== undefined || err.faultString !== undefined) {
        out.fault = { code: err.faultCode as number, message: String(err.faultString ?? '') }
      } else {
        out.error = new Error(`invalid XML-RPC response: ${err.message}`, { cause: err })
      }
      return
    }
    checkPrototypes(value)
    out.data = value
  })
  if (!settled) out.error = new Error('invalid XML-RPC response: incomplete document')
}

/** xmlrpc builds structs with `{}[name] = v`, so a member named __proto__ would swap a prototype. */
function checkPrototypes(v: unknown): void {
  if (v === null || typeof v !== 'object') return
  if (Array.isArray(v)) {
    for (const x of v) checkPrototypes(x)
    return
  }
  if (v instanceof Date || Buffer.isBuffer(v)) return
  if (Object.getPrototypeOf(v) !== Object.prototype) throw new Error('XML-RPC struct with a __proto__ member refused')
  for (const k of Object.keys(v)) checkPrototypes((v as Record<string, unknown>)[k])
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
