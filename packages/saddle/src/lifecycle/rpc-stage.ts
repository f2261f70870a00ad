/**
 * The app stage that answers XML-RPC and JSON-RPC calls posted to route URLs (README "RPC"). The kind
 * of call is recognised once, from the Content-Type, when the request comes in (`was.rpcKind`); this stage
 * answers it through rpc/index.ts `handleRpc`, whose calls run each route through `invokeRoute`.
 *
 * `application/json` is only a candidate: one read of the body decides. A JSON-RPC body is answered
 * here; any other body is kept parsed as the route's arguments and the request goes on as a plain one.
 */
import { RedirectResult } from '../response.js'
import { parseJsonBody } from '../request.js'
import { handleRpc, type RpcKind } from '../rpc/index.js'
import { looksLikeJsonRpc } from '../rpc/jsonrpc.js'
import type { SaddleWas } from '../saddle-was.js'
import { appOf } from './app-of.js'

export function answerRpcCall(was: SaddleWas): unknown {
  const kind = was.rpcKind
  if (kind === null) return undefined
  if (kind === 'maybe-jsonrpc' && !was.request.bodyCollected) {
    return new Promise((resolve) => {
      was.request.collectBodyThen(was, (w, error, buf) => {
        classifyJsonBody(w, error, buf)
        resolve(answerRpcCall(w))
      })
    })
  }
  return answerRpc(was, kind)
}

/**
 * A JSON POST's body, read: a plain one is kept parsed as the route's arguments and `was.rpcKind` cleared
 * (the request goes on as a plain one); JSON-RPC, and a body that could not be read or parsed, are left
 * to `handleRpc`, which answers the call — or the 413/400 (the JSON-RPC parse error when the text says it
 * is JSON-RPC). handle-request.ts calls it before the walk when the app has no gates, so a plain JSON
 * POST reads its body through a callback, without a promise.
 */
export function classifyJsonBody(was: SaddleWas, error: Error | null, buf: Buffer | null): void {
  const request = was.request
  request.collected(error, buf)
  if (error === null && (buf as Buffer).length === 0) {
    // an empty body is no arguments (as for any other media type), not malformed JSON
    request.noBodyArgs()
    was.setRpcKind(null)
    return
  }
  let body: unknown
  try {
    if (error !== null) throw error
    body = parseJsonBody(buf as Buffer)
  } catch {
    return
  }
  const rpc = looksLikeJsonRpc(body) || was.requestContext.path === ''
  request.tookJson(body, !rpc)
  if (!rpc) was.setRpcKind(null)
}

async function answerRpc(was: SaddleWas, kind: RpcKind): Promise<unknown> {
  const reply = await handleRpc(appOf(was), was, kind)
  if (reply === false) return notRpc(was)
  const resp = was.response
  resp.status(reply.status)
  resp.setHeader('content-type', reply.contentType)
  // 204 (only notifications): the response itself is the answer, with its status and no body
  return reply.status === 204 ? resp : reply.body
}

/** Not an RPC call after all: a plain request — at the bare mount point, the 308 of any other. */
function notRpc(was: SaddleWas): unknown {
  was.setRpcKind(null)
  return bareMountPointRedirect(was)
}

/**
 * The bare mount point ('/rpc2' for an app mounted at '/rpc2/') answers 308 to the mount point + '/',
 * keeping the query; except to RPC calls: XML-RPC clients (Python's ServerProxy of 'http://host/rpc2')
 * post there and do not follow redirects.
 */
export function bareMountPointRedirect(was: SaddleWas): unknown {
  const ctx = was.requestContext
  if (ctx.path !== '' || was.rpcKind !== null) return undefined
  return new RedirectResult(`${ctx.mountPoint}/${ctx.search === '' ? '' : `?${ctx.search}`}`, 308)
}
