/**
 * `cli.xmlrpc(path).method(...)` and `cli.jsonrpc(path).method(...)` on the test client (README "Test client"):
 * dotted method names by property chain (`cli.xmlrpc('/rpc2').math.add(4, 10)` calls `math.add`),
 * over whatever transport the client has (in process, launched, running).
 *
 * A fault comes back as a thrown `RpcFault` (faultCode/faultString, like the xmlrpc npm client's errors);
 * an HTTP answer that is not an RPC reply (413, 404 page, …) as a thrown `RpcHttpError` holding the
 * response. XML goes through the shared safe codec of @skitai/was: naive dateTimes read and written as
 * UTC (the server's convention, §2.9), `<i8>` read as a number (BigInt beyond 2^53), a `__proto__` struct
 * member or a DOCTYPE refused.
 */
import { decodeXmlRpcReply, encodeXmlRpcCall } from '@skitai/was'
import { TestClient, type TestResponse } from './test-client.js'

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
    const body = encodeXmlRpcCall(method, params, 'utf8')
    const headers = { ...options.headers, 'content-type': 'text/xml' }
    const res = await this.request('POST', path, { headers, body })
    if (res.status !== 200 || !/xml/.test(String(res.headers['content-type'] ?? ''))) throw new RpcHttpError(res)
    const reply = decodeXmlRpcReply(res.text)
    if (reply.fault !== null) {
      const { faultCode, faultString } = reply.fault
      throw new RpcFault(faultCode, faultString, faultCode)
    }
    return reply.value
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
