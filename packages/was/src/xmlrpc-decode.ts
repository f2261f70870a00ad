/**
 * Safe XML-RPC decoding, shared by Saddle's server (method calls), `was.rpc` and the engine's test client
 * (replies). It reuses the xmlrpc package's own Deserializer handlers (not its client or server) and closes
 * the gaps listed in research §6:
 *   - `<!DOCTYPE`/`<!ENTITY` are refused before parsing (sax would not expand them, but nothing legitimate
 *     needs them);
 *   - a struct member named `__proto__` is refused (the stock `endStruct` does `struct[name] = value`, which
 *     replaces the struct's prototype); calls get null-prototype structs, replies plain objects (see below);
 *   - array/struct nesting is capped so a hostile body cannot build values that blow the stack of whatever
 *     walks them later;
 *   - `<int>`/`<i4>`/`<i8>`/`<double>` are read strictly (the stock parseInt accepts '12abc'); integers beyond
 *     Number.MAX_SAFE_INTEGER become BigInt, never a rounded number; `<i8>` is a number, not a string;
 *   - base64 uses Buffer.from (the stock `new Buffer` is deprecated, DEP0005);
 *   - a dateTime without a zone is read as UTC (the stock decoder uses this machine's local zone), which is
 *     what Python's xmlrpc.client sends and what Saddle writes.
 */
import { createRequire } from 'node:module'
import { XMLRPC_MAX_ENCODE_DEPTH } from './xmlrpc-values.js'

const require = createRequire(import.meta.url)

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
export const XMLRPC_MAX_DEPTH = 100
/** Deepest nesting accepted in a reply: as deep as the encoder (xmlrpc-values.ts) writes. */
export const XMLRPC_MAX_REPLY_DEPTH = XMLRPC_MAX_ENCODE_DEPTH

/** A body that is not an acceptable XML-RPC document; the message names the problem. */
export class XmlRpcDecodeError extends Error {
  override name = 'XmlRpcDecodeError'
}

const FORBIDDEN_MARKUP = /<!DOCTYPE|<!ENTITY/i
const INTEGER = /^[+-]?\d+$/
const DOUBLE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const ISO = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/

function toInteger(text: string, tag: string): number | bigint {
  const t = text.trim()
  if (!INTEGER.test(t)) throw new XmlRpcDecodeError(`expected an integer in <${tag}> but got '${t.slice(0, 40)}'`)
  const n = Number(t)
  return Number.isSafeInteger(n) ? n : BigInt(t)
}

/** ISO 8601 as XML-RPC writes it (separators optional); no zone means UTC. */
function parseIso8601(s: string): Date | null {
  const m = ISO.exec(s)
  if (m === null) return null
  let zone = m[8] ?? 'Z'
  if (zone !== 'Z' && zone.length === 5) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}${zone}`)
  return Number.isNaN(d.getTime()) ? null : d
}

/** The stock Deserializer with the safety checks listed above; its base class arrives with xmlrpc(). */
function defineSafeDeserializer(Deserializer: new () => DeserializerBase) {
  return class SafeDeserializer extends Deserializer {
    /** Set by newParser (the constructor is skipped, see there). */
    declare maxDepth: number
    /** Plain objects instead of null-prototype ones (replies: compare with literals, like JSON.parse gives). */
    declare plainStructs: boolean

    override onOpentag(node: { name: string }): void {
      // Thrown, not reported through onError: the exception unwinds out of parser.write() and stops sax at
      // once instead of letting it read the rest of a hostile body.
      if ((node.name === 'ARRAY' || node.name === 'STRUCT') && this.marks.length >= this.maxDepth) {
        throw new XmlRpcDecodeError(`values nested deeper than ${this.maxDepth} arrays/structs`)
      }
      super.onOpentag(node)
    }

    /** A fault's struct is handed over as the value (the stock handler wraps it in an Error). */
    override onDone(): void {
      if (this.responseType === 'fault' && this.type !== null && this.marks.length === 0)
        this.callback!(null, this.stack)
      else super.onDone()
    }

    /** Stop at the first problem (the stock handler records it and lets sax read on). */
    override onError(e: unknown): never {
      throw e instanceof Error ? e : new XmlRpcDecodeError(String(e))
    }

    endStruct(): void {
      const mark = this.marks.pop()!
      const items = this.stack.slice(mark)
      if (items.length % 2 !== 0) throw new XmlRpcDecodeError('struct member without a name or a value')
      // With __proto__ refused below, plain assignment cannot reach a prototype: Object.prototype has no
      // other setter.
      const struct: Record<string, unknown> = this.plainStructs ? {} : Object.create(null)
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
      const d = parseIso8601(t)
      if (d === null) throw new XmlRpcDecodeError(`expected an ISO 8601 dateTime but got '${t.slice(0, 40)}'`)
      this.push(d)
      this.value = false
    }
  }
}

type SafeDeserializer = InstanceType<ReturnType<typeof defineSafeDeserializer>>

interface XmlRpcParser {
  /** The prototype every parse's deserializer is made from (its constructor is skipped, see newParser). */
  proto: SafeDeserializer
  sax: { parser(strict: boolean): SaxParser }
}

let parts: XmlRpcParser | null = null

/**
 * CommonJS internals of the xmlrpc package (no exports map; @types/xmlrpc covers only client/server),
 * loaded on first use: xmlrpc with xmlbuilder and sax adds ~9 MB to a worker that may never speak XML-RPC.
 */
function xmlrpc(): XmlRpcParser {
  if (parts !== null) return parts
  const deserializerFile = require.resolve('xmlrpc/lib/deserializer.js')
  const SafeDeserializer = defineSafeDeserializer(require(deserializerFile))
  // sax exactly as the xmlrpc package resolves it (its pinned 1.2.x), to drive the Deserializer's handlers.
  parts = { proto: SafeDeserializer.prototype, sax: createRequire(deserializerFile)('sax') }
  return parts
}

/**
 * A Deserializer driven by a plain sax parser. The stock constructor wraps sax in a SAXStream (a property
 * definition per event per instance and an `emit` per event), which costs several times the parse of a
 * small call; the same handler methods are wired to the parser directly instead, with the fields the
 * xmlrpc 1.3.2 constructor sets.
 */
function newParser(d: SafeDeserializer, maxDepth: number, plainStructs: boolean): SaxParser {
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
  d.maxDepth = maxDepth
  d.plainStructs = plainStructs
  const p = xmlrpc().sax.parser(false)
  p.onopentag = (node) => d.onOpentag(node)
  p.onclosetag = (name) => d.onClosetag(name)
  p.ontext = (text) => d.onText(text)
  p.oncdata = (text) => d.onCDATA(text)
  p.onend = () => d.onDone()
  p.onerror = (e) => d.onError(e)
  return p
}

/**
 * Parse a whole document (synchronous: sax emits every event during write()/close()) and return the
 * deserializer with its top-level values, or throw XmlRpcDecodeError naming the problem.
 */
function parse(body: string, kind: string, maxDepth: number, plainStructs: boolean): [SafeDeserializer, unknown[]] {
  if (FORBIDDEN_MARKUP.test(body)) throw new XmlRpcDecodeError('DOCTYPE and ENTITY declarations are not accepted')
  const d = Object.create(xmlrpc().proto) as SafeDeserializer
  const parser = newParser(d, maxDepth, plainStructs)
  let values: unknown[] | null = null
  d.callback = (err, result) => {
    if (err) throw err
    values = result ?? []
  }
  try {
    parser.write(body)
    parser.close()
  } catch (e) {
    if (e instanceof XmlRpcDecodeError) throw e
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e)
    throw new XmlRpcDecodeError(`malformed XML-RPC ${kind}: ${msg}`)
  }
  if (values === null) throw new XmlRpcDecodeError(`malformed XML-RPC ${kind}: incomplete document`)
  return [d, values]
}

export interface XmlRpcCall {
  methodName: string
  params: unknown[]
}

/**
 * Decode a `<methodCall>` document (already read into memory under the body limit). Structs are
 * null-prototype objects. Throws XmlRpcDecodeError naming the problem.
 */
export function decodeXmlRpcCall(body: string): XmlRpcCall {
  const [d, params] = parse(body, 'call', XMLRPC_MAX_DEPTH, false)
  if (d.type !== 'methodcall') throw new XmlRpcDecodeError('not an XML-RPC <methodCall>')
  if (!d.methodname) throw new XmlRpcDecodeError('the call has no <methodName>')
  return { methodName: d.methodname.trim(), params }
}

/** A decoded `<methodResponse>`: its value, or the fault it carries. */
export type XmlRpcReply =
  | { fault: null; value: unknown }
  | { fault: { faultCode: number; faultString: string }; value: undefined }

/**
 * Decode a `<methodResponse>`: the value of its single param, or its fault. Structs are plain objects
 * (a member named `__proto__` is still refused), so a reply compares equal to an object literal, as a
 * JSON reply does. Throws XmlRpcDecodeError naming the problem.
 */
export function decodeXmlRpcReply(body: string): XmlRpcReply {
  const [d, values] = parse(body, 'response', XMLRPC_MAX_REPLY_DEPTH, true)
  if (d.type !== 'methodresponse') throw new XmlRpcDecodeError('not an XML-RPC <methodResponse>')
  if (d.responseType === 'fault') {
    const f = values[0] as { faultCode?: unknown; faultString?: unknown } | undefined
    if (f === null || typeof f !== 'object' || (f.faultCode === undefined && f.faultString === undefined)) {
      throw new XmlRpcDecodeError('a <fault> without faultCode or faultString')
    }
    return { fault: { faultCode: f.faultCode as number, faultString: String(f.faultString ?? '') }, value: undefined }
  }
  if (d.responseType !== 'params') throw new XmlRpcDecodeError('a <methodResponse> without <params> or <fault>')
  if (values.length > 1) throw new XmlRpcDecodeError('a <methodResponse> with more than one param')
  return { fault: null, value: values[0] }
}
