/**
 * XML-RPC encoding and decoding with the xmlrpc package's own Deserializer and serializer (not its server,
 * which reads bodies without any limit). The Deserializer is sax-based and iterative; this subclass closes
 * the gaps listed in research §6:
 *   - `<!DOCTYPE`/`<!ENTITY` are refused before parsing (sax would not expand them, but nothing legitimate
 *     needs them);
 *   - structs are built as null-prototype objects and a member named `__proto__` is refused (the stock
 *     `endStruct` does `struct[name] = value`, which replaces the struct's prototype);
 *   - array/struct nesting is capped (MAX_DEPTH) so a hostile body cannot build values that blow the stack
 *     of whatever walks them later;
 *   - `<int>`/`<i4>`/`<i8>`/`<double>` are read strictly (the stock parseInt accepts '12abc'); integers beyond
 *     Number.MAX_SAFE_INTEGER become BigInt, never a rounded number; `<i8>` is a number, not a string;
 *   - base64 uses Buffer.from (the stock `new Buffer` is deprecated, DEP0005);
 *   - a dateTime without a zone is read as UTC (the stock decoder uses the server's local zone), and dates
 *     are written as UTC without a zone — what Python's xmlrpc.client sends and expects.
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
// CommonJS internals of the xmlrpc package (no exports map; @types/xmlrpc covers only client/server).
const Deserializer: new () => DeserializerBase = require('xmlrpc/lib/deserializer.js')
const serializer: {
  serializeMethodCall(method: string, params: unknown[]): string
  serializeMethodResponse(value: unknown): string
  serializeFault(fault: { faultCode: number; faultString: string }): string
} = require('xmlrpc/lib/serializer.js')
const CustomType: new (raw: string) => { raw: string } = require('xmlrpc/lib/customtype.js')
// sax exactly as the xmlrpc package resolves it (its pinned 1.2.x), to drive the Deserializer's handlers.
const sax: { parser(strict: boolean): SaxParser } = createRequire(require.resolve('xmlrpc/lib/deserializer.js'))('sax')

interface SaxParser {
  onopentag: (node: { name: string }) => void
  onclosetag: (name: string) => void
  ontext: (text: string) => void
  oncdata: (text: string) => void
  onend: () => void
  onerror: (e: Error) => void
  write(s: string): unknown
  close(): unknown
}

interface DeserializerBase {
  stack: unknown[]
  marks: number[]
  value: boolean
  methodname: string | null
  type: string | null
  responseType: string | null
  error: Error | null
  data: string[]
  encoding: string
  callback: ((err: Error | null | undefined, result?: unknown[]) => void) | null
  onOpentag(node: { name: string }): void
  onClosetag(name: string): void
  onText(text: string): void
  onCDATA(text: string): void
  onDone(): void
  push(v: unknown): void
  onError(e: unknown): void
}

/** Deepest array/struct nesting accepted in a call (Python's own clients never come near it). */
export const MAX_DEPTH = 100

/** A body that is not an acceptable XML-RPC document; the message names the problem. */
export class XmlRpcDecodeError extends Error {
  override name = 'XmlRpcDecodeError'
}

const FORBIDDEN_MARKUP = /<!DOCTYPE|<!ENTITY/i
const INTEGER = /^[+-]?\d+$/
const DOUBLE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const NAIVE_DATETIME = /^\d{4}-?\d{2}-?\d{2}T\d{2}:?\d{2}:?\d{2}(\.\d+)?$/

function toInteger(text: string, tag: string): number | bigint {
  const t = text.trim()
  if (!INTEGER.test(t)) throw new XmlRpcDecodeError(`expected an integer in <${tag}> but got '${t.slice(0, 40)}'`)
  const n = Number(t)
  return Number.isSafeInteger(n) ? n : BigInt(t)
}

class SafeDeserializer extends (Deserializer as new () => DeserializerBase) {
  override onOpentag(node: { name: string }): void {
    // Thrown, not reported through onError: the exception unwinds out of parser.write() and stops sax at
    // once instead of letting it read the rest of a hostile body.
    if ((node.name === 'ARRAY' || node.name === 'STRUCT') && this.marks.length >= MAX_DEPTH) {
      throw new XmlRpcDecodeError(`values nested deeper than ${MAX_DEPTH} arrays/structs`)
    }
    super.onOpentag(node)
  }

  /** Stop at the first problem (the stock handler records it and lets sax read on). */
  override onError(e: unknown): never {
    throw e instanceof Error ? e : new XmlRpcDecodeError(String(e))
  }

  endStruct(): void {
    const mark = this.marks.pop()!
    const items = this.stack.slice(mark)
    if (items.length % 2 !== 0) throw new XmlRpcDecodeError('struct member without a name or a value')
    const struct: Record<string, unknown> = Object.create(null)
    for (let i = 0; i < items.length; i += 2) {
      const name = items[i]
      if (typeof name !== 'string') throw new XmlRpcDecodeError('struct member without a name')
      if (name === '__proto__') throw new XmlRpcDecodeError('struct member name __proto__ is not allowed')
      struct[name] = items[i + 1]
    }
    this.stack.splice(mark, this.stack.length - mark, struct)
    this.value = false
  }

  endInt(data: string): void {
    this.push(toInteger(data, 'int'))
    this.value = false
  }

  endI8(data: string): void {
    this.push(toInteger(data, 'i8'))
    this.value = false
  }

  endDouble(data: string): void {
    const t = data.trim()
    if (!DOUBLE.test(t) && t !== 'NaN' && t !== 'Infinity' && t !== '-Infinity' && t !== 'inf' && t !== '-inf') {
      throw new XmlRpcDecodeError(`expected a double but got '${t.slice(0, 40)}'`)
    }
    this.push(t === 'inf' ? Number.POSITIVE_INFINITY : t === '-inf' ? Number.NEGATIVE_INFINITY : Number(t))
    this.value = false
  }

  endBase64(data: string): void {
    this.push(Buffer.from(data, 'base64'))
    this.value = false
  }

  endDateTime(data: string): void {
    const t = data.trim()
    const d = parseIso8601(NAIVE_DATETIME.test(t) ? `${t}Z` : t)
    if (d === null) throw new XmlRpcDecodeError(`expected an ISO 8601 dateTime but got '${t.slice(0, 40)}'`)
    this.push(d)
    this.value = false
  }
}

const ISO = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/

function parseIso8601(s: string): Date | null {
  const m = ISO.exec(s)
  if (m === null) return null
  let zone = m[8]!
  if (zone !== 'Z' && zone.length === 5) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}${zone}`)
  return Number.isNaN(d.getTime()) ? null : d
}

export interface XmlRpcCall {
  methodName: string
  params: unknown[]
}

/**
 * A Deserializer driven by a plain sax parser. The stock constructor wraps sax in a SAXStream (a property
 * definition per event per instance and an `emit` per event), which costs several times the parse of a
 * small call; the same handler methods are wired to the parser directly instead, with the fields the
 * xmlrpc 1.3.2 constructor sets.
 */
function newParser(d: SafeDeserializer): SaxParser {
  d.type = null
  d.responseType = null
  d.stack = []
  d.marks = []
  d.data = []
  d.methodname = null
  d.encoding = 'utf8'
  d.value = false
  d.callback = null
  d.error = null
  const p = sax.parser(false)
  p.onopentag = (node) => d.onOpentag(node)
  p.onclosetag = (name) => d.onClosetag(name)
  p.ontext = (text) => d.onText(text)
  p.oncdata = (text) => d.onCDATA(text)
  p.onend = () => d.onDone()
  p.onerror = (e) => d.onError(e)
  return p
}

/**
 * Decode a `<methodCall>` document (already read into memory under the body limit). Synchronous: sax
 * emits every event during write()/close(). Throws XmlRpcDecodeError naming the problem.
 */
export function decodeMethodCall(body: string): XmlRpcCall {
  if (FORBIDDEN_MARKUP.test(body)) throw new XmlRpcDecodeError('DOCTYPE and ENTITY declarations are not accepted')
  const d = Object.create(SafeDeserializer.prototype) as SafeDeserializer
  const parser = newParser(d)
  let params: unknown[] | null = null
  d.callback = (err, result) => {
    if (err) throw err
    params = result ?? []
  }
  try {
    parser.write(body)
    parser.close()
  } catch (e) {
    if (e instanceof XmlRpcDecodeError) throw e
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e)
    throw new XmlRpcDecodeError(`malformed XML-RPC call: ${msg}`)
  }
  if (params === null || d.type !== 'methodcall') throw new XmlRpcDecodeError('not an XML-RPC <methodCall>')
  if (!d.methodname) throw new XmlRpcDecodeError('the call has no <methodName>')
  return { methodName: d.methodname.trim(), params }
}

class I8 extends CustomType {
  tagName = 'i8'
}
class Double extends CustomType {
  tagName = 'double'
}
class DateTimeUtc extends CustomType {
  tagName = 'dateTime.iso8601'
}

function utcStamp(d: Date): string {
  const iso = d.toISOString() // 2024-01-02T03:04:05.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 19)}`
}

/** Deepest value accepted in a reply; also catches what would otherwise be a runaway walk. */
const MAX_REPLY_DEPTH = 1000

/**
 * A handler's return value → what the xmlrpc serializer writes correctly: undefined → nil, bigint → <i8>,
 * integers beyond the safe range → <double>, Date → UTC dateTime, Uint8Array → Buffer (base64), objects
 * with toJSON (other than Date) → their JSON form; members holding functions or symbols are dropped.
 * Throws TypeError on a cycle or an invalid Date.
 */
export function toXmlRpcValue(value: unknown, depth = 0, seen: Set<object> = new Set()): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      return Number.isInteger(value) && !Number.isSafeInteger(value) ? new Double(String(value)) : value
    case 'bigint':
      return new I8(value.toString())
    case 'undefined':
    case 'function':
    case 'symbol':
      return null
  }
  if (value === null) return null
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('cannot send an invalid Date')
    return new DateTimeUtc(utcStamp(value))
  }
  if (Buffer.isBuffer(value)) return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (depth >= MAX_REPLY_DEPTH) throw new TypeError(`value nested deeper than ${MAX_REPLY_DEPTH} levels`)
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
      Object.defineProperty(struct, key, { value: toXmlRpcValue(v, depth + 1, seen), enumerable: true })
    }
    out = struct
  }
  seen.delete(obj)
  return out
}

/** `<methodResponse>` with one value. Throws TypeError for values that cannot be sent. */
export function encodeResponse(value: unknown): string {
  return serializer.serializeMethodResponse(toXmlRpcValue(value))
}

/** `<methodResponse><fault>` with faultCode/faultString. */
export function encodeFault(faultCode: number, faultString: string): string {
  return serializer.serializeFault({ faultCode, faultString })
}

/** `<methodCall>` (used by tests and clients). */
export function encodeMethodCall(methodName: string, params: unknown[]): string {
  return serializer.serializeMethodCall(
    methodName,
    params.map((p) => toXmlRpcValue(p)),
  )
}
