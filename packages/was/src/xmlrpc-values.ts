/**
 * JavaScript values → XML-RPC, shared by Saddle's server (responses, faults), `was.rpc` and the engine's
 * test client (calls). The XML is written by the xmlrpc package's own serializer; values it would get wrong
 * are mapped first (toXmlRpcValue): Dates are written as UTC without a zone (the stock serializer writes
 * local time, which a peer in another zone reads wrong; UTC is what Python's xmlrpc.client sends and
 * expects), bigint as `<i8>`, undefined as nil. Decoding is in xmlrpc-decode.ts.
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

interface CustomValue {
  raw: string
}
type CustomClass = new (raw: string) => CustomValue

interface XmlRpcParts {
  serializer: {
    serializeMethodCall(method: string, params: unknown[], encoding?: string): string
    serializeMethodResponse(value: unknown): string
    serializeFault(fault: { faultCode: number; faultString: string }): string
  }
  CustomType: CustomClass
  I8: CustomClass
  Double: CustomClass
  DateTimeUtc: CustomClass
}

let parts: XmlRpcParts | null = null

/**
 * CommonJS internals of the xmlrpc package (no exports map; @types/xmlrpc covers only client/server),
 * loaded on first use: xmlrpc with xmlbuilder adds ~9 MB to a worker that may never speak XML-RPC.
 */
function xmlrpc(): XmlRpcParts {
  if (parts !== null) return parts
  const CustomType: CustomClass = require('xmlrpc/lib/customtype.js')
  class I8 extends CustomType {
    tagName = 'i8'
  }
  class Double extends CustomType {
    tagName = 'double'
  }
  class DateTimeUtc extends CustomType {
    tagName = 'dateTime.iso8601'
  }
  parts = { serializer: require('xmlrpc/lib/serializer.js'), CustomType, I8, Double, DateTimeUtc }
  return parts
}

function utcStamp(d: Date): string {
  const iso = d.toISOString() // 2024-01-02T03:04:05.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 19)}`
}

/** Deepest value accepted for sending; also catches what would otherwise be a runaway walk. */
export const XMLRPC_MAX_ENCODE_DEPTH = 1000

/**
 * A value → what the xmlrpc serializer writes correctly: undefined → nil, bigint → <i8>, integers beyond
 * the safe range → <double>, Date → UTC dateTime, Uint8Array → Buffer (base64), objects with toJSON (other
 * than Date) → their JSON form; members holding functions or symbols are dropped.
 * Throws TypeError on a cycle or an invalid Date.
 */
export function toXmlRpcValue(value: unknown, depth = 0, seen: Set<object> = new Set()): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      return Number.isInteger(value) && !Number.isSafeInteger(value) ? new (xmlrpc().Double)(String(value)) : value
    case 'bigint':
      return new (xmlrpc().I8)(value.toString())
    case 'undefined':
    case 'function':
    case 'symbol':
      return null
  }
  if (value === null) return null
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('cannot send an invalid Date')
    return new (xmlrpc().DateTimeUtc)(utcStamp(value))
  }
  if (Buffer.isBuffer(value) || value instanceof xmlrpc().CustomType) return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (depth >= XMLRPC_MAX_ENCODE_DEPTH)
    throw new TypeError(`value nested deeper than ${XMLRPC_MAX_ENCODE_DEPTH} levels`)
  const obj = value as object
  if (seen.has(obj)) throw new TypeError('cannot send a cyclic value')
  seen.add(obj)
  let out: unknown
  if (Array.isArray(obj)) {
    out = obj.map((v) => toXmlRpcValue(v, depth + 1, seen))
  } else if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    out = toXmlRpcValue((obj as { toJSON(): unknown }).toJSON(), depth + 1, seen)
  } else {
    const struct: Record<string, unknown> = {}
    for (const key of Object.keys(obj)) {
      const v = (obj as Record<string, unknown>)[key]
      if (typeof v === 'function' || typeof v === 'symbol') continue
      // defineProperty: an own key named __proto__ stays a member instead of setting the prototype.
      Object.defineProperty(struct, key, { value: toXmlRpcValue(v, depth + 1, seen), enumerable: true })
    }
    out = struct
  }
  seen.delete(obj)
  return out
}

/** `<methodResponse>` with one value. Throws TypeError for values that cannot be sent. */
export function encodeXmlRpcResponse(value: unknown): string {
  return xmlrpc().serializer.serializeMethodResponse(toXmlRpcValue(value))
}

/** `<methodResponse><fault>` with faultCode/faultString. */
export function encodeXmlRpcFault(faultCode: number, faultString: string): string {
  return xmlrpc().serializer.serializeFault({ faultCode, faultString })
}

/**
 * `<methodCall>`; `encoding` goes into the XML declaration (the clients have always sent 'utf8').
 * Throws TypeError for values that cannot be sent.
 */
export function encodeXmlRpcCall(methodName: string, params: unknown[], encoding?: string): string {
  return xmlrpc().serializer.serializeMethodCall(
    methodName,
    params.map((p) => toXmlRpcValue(p)),
    encoding,
  )
}
