/**
 * The XML-RPC value codec lives in @skitai/was (xmlrpc-values.ts, xmlrpc-decode.ts), shared with `was.rpc`
 * and the engine's test client. This name stays for the response writer (writer.ts), which imports
 * `encodeResponse` from here.
 */
export { encodeXmlRpcResponse as encodeResponse } from '@skitai/was'
