/**
 * XML-RPC and JSON-RPC on every Saddle route (README "XML-RPC and JSON-RPC") — the entry points the request pipeline calls.
 *
 * Handoff with the pipeline (app.ts / pipeline.ts):
 *   1. For a POST, before normal argument binding: `const kind = detectRpc(contentType)`.
 *   2. When `kind !== null`: `const reply = await handleRpc(app, was, kind)`.
 *      - `false`: not an RPC call (only possible for 'maybe-jsonrpc': an `application/json` body that is
 *        not a JSON-RPC request). The pipeline continues as usual; the body was read through
 *        `was.request.json()`, so it is parsed once and reused.
 *      - an `RpcReply`: write it with the normal response writer (so cookies and sessions set by the
 *        handler go out too): status (200, or 204 for JSON-RPC notifications only), Content-Type, body.
 *      - throws `HttpError` for transport-level failures that are not faults: 413 (body over
 *        `app.config.maxPostBodySize`), 400 for a body that cannot be read. The pipeline answers it as any
 *        HttpError.
 *   Each RPC call inside runs through `app.invokeRoute`, i.e. the same hooks, auth and argument builder.
 */
import type { RpcKind } from '../contract.js'
import type { SaddleWas } from '../saddle-was.js'
import { callMethod, resetStatus } from './call.js'
import { answerJsonRpc, inputOf, looksLikeJsonRpc, parseJsonRpcBody } from './jsonrpc.js'
import { postedBase } from './method-path.js'
import type { ListingApp } from './system.js'
import { answerXmlRpc, XML_CONTENT_TYPE } from './xmlrpc.js'

export type { RpcKind }

/** What handleRpc hands back to the pipeline to write. */
export interface RpcReply {
  status: number
  contentType: string
  body: string
}

/**
 * Content-Type → kind of call. Call it for POST requests only. `application/json` is only a candidate:
 * the body decides (an object with `jsonrpc: "2.0"` and `method`, or an array of such).
 */
export function detectRpc(contentType: string | undefined): RpcKind | null {
  if (contentType === undefined) return null
  const semi = contentType.indexOf(';')
  const mime = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase()
  switch (mime) {
    case 'text/xml':
    case 'application/xml':
      return 'xmlrpc'
    case 'application/json-rpc':
      return 'jsonrpc'
    case 'application/json':
      return 'maybe-jsonrpc'
    default:
      return null
  }
}

/**
 * Answer an RPC call posted to a route URL. `app` is the Saddle app, `was` the request's handler context.
 * See the handoff at the top of this file.
 */
export async function handleRpc(app: ListingApp, was: SaddleWas, kind: RpcKind): Promise<RpcReply | false> {
  const base = postedBase(was.requestContext.path)
  if (kind === 'xmlrpc') {
    return { status: 200, contentType: XML_CONTENT_TYPE, body: await answerXmlRpc(app, was, base) }
  }
  let body: unknown
  if (kind === 'maybe-jsonrpc') {
    // The pipeline's own JSON reading (parsed once, reused if this is not JSON-RPC after all).
    try {
      body = await was.request.json()
    } catch (e) {
      // Unparsable: a JSON-RPC client still gets -32700 when the text says it is JSON-RPC.
      const text = (await was.request.body()).toString('utf8')
      if (!JSONRPC_MARK.test(text)) throw e
      const parsed = parseJsonRpcBody(text)
      if (!parsed.ok) return { status: 200, contentType: JSON_CONTENT_TYPE, body: parsed.reply }
      throw e
    }
    if (!looksLikeJsonRpc(body)) return false
  } else {
    const parsed = parseJsonRpcBody((await was.request.body()).toString('utf8'))
    if (!parsed.ok) return { status: 200, contentType: JSON_CONTENT_TYPE, body: parsed.reply }
    body = parsed.value
  }
  let first = true
  const reply = await answerJsonRpc(
    body,
    (method, params) => {
      if (!first) resetStatus(was)
      first = false
      return callMethod(app, was, base, method, inputOf(params), false)
    },
    app.debug,
  )
  // Only notifications: nothing to return (JSON-RPC 2.0 §6); 204 says so over HTTP.
  return reply === null
    ? { status: 204, contentType: JSON_CONTENT_TYPE, body: '' }
    : { status: 200, contentType: JSON_CONTENT_TYPE, body: reply }
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'
const JSONRPC_MARK = /"jsonrpc"\s*:\s*"2\.0"/
