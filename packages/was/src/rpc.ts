/**
 * RPC clients: `was.rpc(url).math.add(1, 2)` (XML-RPC) and `was.jsonrpc(url).add(1, 2)` (JSON-RPC 2.0).
 * The method name is built from the property chain by a Proxy; calling it fires a POST at once and
 * returns a Task. XML-RPC bodies are written and replies read by the shared codec (xmlrpc-values.ts,
 * xmlrpc-decode.ts, through codecs.ts): dates as UTC, bigint as <i8>, replies decoded safely.
 */
import { KIND_JSONRPC, KIND_XMLRPC, serializeJsonrpcCall, serializeXmlrpcCall } from './codecs.js'
import { type Firer, fire, type Mode, type RequestOptions } from './fire.js'
import type { Task } from './task.js'

/** Any property is a method (or a namespace of methods); calling one fires the call. */
export type RpcProxy = { [method: string]: RpcProxy } & ((...args: unknown[]) => Task)

const XML = 'text/xml'
const JSONRPC = 'application/json'

export function rpcProxy(w: Firer, url: string, opts: RequestOptions | undefined, kind: 1 | 2, mode: Mode): RpcProxy {
  return makeProxy(w, url, opts, kind, mode, '')
}

function makeProxy(
  w: Firer,
  url: string,
  opts: RequestOptions | undefined,
  kind: 1 | 2,
  mode: Mode,
  method: string,
): RpcProxy {
  // The target is a function so the proxy is callable; its own properties are never read.
  const target = function rpcMethod() {}
  return new Proxy(target, {
    get(_t, key) {
      // `then` must stay undefined or `await was.rpc(url)` would call a remote method named "then".
      if (typeof key === 'symbol' || key === 'then') return undefined
      return makeProxy(w, url, opts, kind, mode, method === '' ? key : `${method}.${key}`)
    },
    apply(_t, _this, args: unknown[]) {
      if (method === '')
        throw new TypeError(
          `call a remote method on it: was.${kind === KIND_XMLRPC ? 'rpc' : 'jsonrpc'}(url).methodName(...args)`,
        )
      if (kind === KIND_XMLRPC) {
        return fire(w, 'POST', url, serializeXmlrpcCall(method, args), XML, true, opts, KIND_XMLRPC, XML, mode)
      }
      return fire(w, 'POST', url, serializeJsonrpcCall(method, args), JSONRPC, true, opts, KIND_JSONRPC, JSONRPC, mode)
    },
  }) as unknown as RpcProxy
}

export { KIND_JSONRPC, KIND_XMLRPC }
