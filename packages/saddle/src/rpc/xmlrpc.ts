/**
 * XML-RPC on route URLs (README "XML-RPC and JSON-RPC"): the body is read under the app's body limit, decoded safely
 * (the shared codec in @skitai/was), the method name resolved to a route and run through the app; the answer is a
 * `<methodResponse>` or a fault whose faultCode is the HTTP status the same call would have had.
 * HTTP 200 either way.
 */
import { decodeXmlRpcCall, encodeXmlRpcFault, encodeXmlRpcResponse, XmlRpcDecodeError } from '@skitai/was'
import type { SaddleWas } from '../saddle-was.js'
import { callMethod } from './call.js'
import { badRequest, faultString, type RpcFailure, toFailure } from './failure.js'
import type { ListingApp } from './system.js'

export const XML_CONTENT_TYPE = 'text/xml; charset=utf-8'

/** The reply body for an XML-RPC request (body over the limit → HttpError 413, thrown). */
export async function answerXmlRpc(app: ListingApp, was: SaddleWas, base: string): Promise<string> {
  const body = await was.request.body()
  let methodName: string
  let params: unknown[]
  try {
    ;({ methodName, params } = decodeXmlRpcCall(body.toString('utf8')))
  } catch (e) {
    if (e instanceof XmlRpcDecodeError) return faultXml(badRequest(e.message))
    throw e
  }
  const outcome = await callMethod(app, was, base, methodName, { positional: params }, true)
  if (!outcome.ok) return faultXml(outcome.failure)
  try {
    return encodeXmlRpcResponse(outcome.value)
  } catch (e) {
    return faultXml(toFailure(e, app.debug))
  }
}

function faultXml(f: RpcFailure): string {
  return encodeXmlRpcFault(f.status, faultString(f))
}
