/**
 * `cli.xmlrpc(path).method(...)` and `cli.jsonrpc(path).method(...)` on the test client (SPEC §1.7):
 * dotted method names by property chain (`cli.xmlrpc('/rpc2').math.add(4, 10)` calls `math.add`),
 * over whatever transport the client has (in process, launched, running).
 *
 * A fault comes back as a thrown `RpcFault` (faultCode/faultString, like the xmlrpc npm client's errors);
 * an HTTP answer that is not an RPC reply (413, 404 page, …) as a thrown `RpcHttpError` holding the
 * response. XML goes through the xmlrpc package's serializer and Deserializer, with naive dateTimes read
 * and written as UTC (the server's convention, §2.9) and `<i8>` read as a number (BigInt beyond 2^53).
 */
import { createRequire } from 'node:module'
import { TestClient, type TestResponse } from './test-client.js'

const require = createRequire(import.meta.url)
const serializer: { serializeMethodCall(method: string, params: unknown[], encoding?: string): string } =
  require('xmlrpc/lib/serializer.js')
const Deserializer: new () => ResponseDeserializer = require('xmlrpc/lib/deserializer.js')
const CustomType: new (raw: string) => object = require('xmlrpc/lib/customtype.js')

interface ResponseDeserializer {
  stack: unknown[]
  marks: number[]
  value: boolean
  push(v: unknown): void
  deserializeMethodResponse(stream: unknown, cb: (err: any, value?: unknown) => void): void
}

/** A failed call: XML-RPC fault or JSON-RPC error. */
export class RpcFault extends Error {
  override name = 'RpcFault'
  /** XML-RPC faultCode, or the JSON-RPC error code. */
  readonly faultCode: number
  readonly faultString: string
  /** The HTTP status the call would have had: the faultCode over XML-RPC, `error.data.status` over JSON-RPC. */
  readonly status: number | undefined
  /** JSON-RPC `error.data`. */
  readonly data: unknown
  constructor(faultCode: number, faultString: string, status: number | undefined, data?: unknown) {
    super(`RPC fault ${faultCode}: ${faultString}`)
    this.faultCode = faultCode
    this.faultString = faultString
    this.status = status
    this.data = data
  }
}

/** The server answered with something other than an RPC reply (an HTTP error, a 308, …). */
export class RpcHttpError extends Error {
  override name = 'RpcHttpError'
  constructor(readonly response: TestResponse) {
    super(`RPC call answered with HTTP ${response.status}: ${response.text.slice(0, 200)}`)
  }
}

export interface RpcClientOptions {
  headers?: Record<string, string>
  /** JSON-RPC only: send the call's single object argument as by-name params. */
  byName?: boolean
}

/** Callable at any depth: `proxy.a.b(1)` calls method `a.b`. */
export type RpcProxy = { [name: string]: RpcProxy } & ((...params: unknown[]) => Promise<any>)

declare module './test-client.js' {
  interface TestClient {
    /** An XML-RPC proxy for the route URL `path` (`cli.xmlrpc('/rpc2').add(4, 10)`). */
    xmlrpc(path: string, options?: RpcClientOptions): RpcProxy
    /** A JSON-RPC 2.0 proxy for the route URL `path` (`cli.jsonrpc('/rpc2').add(4, 10)`). */
    jsonrpc(path: string, options?: RpcClientOptions): RpcProxy
  }
}

TestClient.prototype.xmlrpc = function (this: TestClient, path: string, options: RpcClientOptions = {}) {
  return proxy('', async (method, params) => {
    const body = serializer.serializeMethodCall(method, params.map(toWire), 'utf8')
    const headers = { ...options.headers, 'content-type': 'text/xml' }
    const res = await this.request('POST', path, { headers, body })
    if (res.status !== 200 || !/xml/.test(String(res.headers['content-type'] ?? ''))) throw new RpcHttpError(res)
    return decodeResponse(res.text)
  })
}

let nextId = 1
TestClient.prototype.jsonrpc = function (this: TestClient, path: string, options: RpcClientOptions = {}) {
  return proxy('', async (method, params) => {
    const sent = options.byName === true ? (params[0] ?? {}) : params
    const id = nextId++
    const body = JSON.stringify({ jsonrpc: '2.0', method, params: sent, id })
    const headers = { ...options.headers, 'content-type': 'application/json-rpc' }
    const res = await this.request('POST', path, { headers, body })
    if (res.status !== 200 || !/json/.test(String(res.headers['content-type'] ?? ''))) throw new RpcHttpError(res)
    const reply = res.json()
    if (reply?.error) {
      const e = reply.error
      throw new RpcFault(e.code, e.message, e.data?.status, e.data)
    }
    return reply.result
  })
}

function proxy(name: string, call: (method: string, params: unknown[]) => Promise<unknown>): RpcProxy {
  return new Proxy(function rpc() {}, {
    get(_t, key) {
      // not thenable, so `await cli.xmlrpc(path).x` does not turn into a call of `x.then`
      if (typeof key === 'symbol' || key === 'then') return undefined
      return proxy(name === '' ? key : `${name}.${key}`, call)
    },
    apply(_t, _this, params: unknown[]) {
      if (name === '') return Promise.reject(new TypeError('name a method: cli.xmlrpc(path).method(...)'))
      return call(name, params)
    },
  }) as unknown as RpcProxy
}

class I8 extends CustomType {
  tagName = 'i8'
}
class DateTimeUtc extends CustomType {
  tagName = 'dateTime.iso8601'
}

/** Values the stock serializer would get wrong: Dates (written in local time), bigint, undefined. */
function toWire(v: unknown): unknown {
  if (v instanceof Date) {
    const s = v.toISOString()
    return new DateTimeUtc(`${s.slice(0, 4)}${s.slice(5, 7)}${s.slice(8, 10)}T${s.slice(11, 19)}`)
  }
  if (typeof v === 'bigint') return new I8(v.toString())
  if (v === undefined) return null
  if (Array.isArray(v)) return v.map(toWire)
  if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v) && !(v instanceof CustomType)) {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v)) {
      Object.defineProperty(out, k, { value: toWire((v as any)[k]), enumerable: true })
    }
    return out
  }
  return v
}

class UtcDeserializer extends (Deserializer as new () => ResponseDeserializer) {
  endDateTime(data: string): void {
    const t = data.trim()
    const m = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(t)
    if (m === null) throw new Error(`bad dateTime '${t}'`)
    const zone = m[8] === undefined ? 'Z' : m[8].length === 5 ? `${m[8].slice(0, 3)}:${m[8].slice(3)}` : m[8]
    this.push(new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}${zone}`))
    this.value = false
  }
  endI8(data: string): void {
    const n = Number(data)
    this.push(Number.isSafeInteger(n) ? n : BigInt(data.trim()))
    this.value = false
  }
  endBase64(data: string): void {
    this.push(Buffer.from(data, 'base64'))
    this.value = false
  }
  /**
   * Plain objects (so tests can compare them with literals), filled with defineProperty: a member named
   * `__proto__` becomes an own property instead of replacing the prototype (the stock `struct[name] = v`).
   */
  endStruct(): void {
    const mark = this.marks.pop()!
    const items = this.stack.slice(mark)
    const struct: Record<string, unknown> = {}
    for (let i = 0; i < items.length; i += 2) {
      Object.defineProperty(struct, String(items[i]), {
        value: items[i + 1],
        enumerable: true,
        writable: true,
        configurable: true,
      })
    }
    this.stack.splice(mark, this.stack.length - mark, struct)
    this.value = false
  }
}

function decodeResponse(text: string): unknown {
  let outcome: { err: any; value?: unknown } | null = null
  // The sax parser inside is synchronous: feeding the whole text settles the callback before we return.
  const feed = {
    setEncoding() {},
    on() {},
    pipe(parser: { write(s: string): void; end(): void }) {
      parser.write(text)
      parser.end()
    },
  }
  new UtcDeserializer().deserializeMethodResponse(feed, (err, value) => {
    outcome ??= { err, value }
  })
  const o = outcome as { err: any; value?: unknown } | null
  if (o === null) throw new Error('incomplete XML-RPC response')
  if (o.err) {
    if (o.err.faultCode !== undefined) throw new RpcFault(o.err.faultCode, String(o.err.faultString), o.err.faultCode)
    throw o.err
  }
  return o.value
}
