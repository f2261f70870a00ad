import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { EngineCore } from './engine-core.js'
import { sendError } from './error-page.js'

const CLIENT_ERROR_STATUS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  HPE_HEADERS_TIMEOUT: [408, 'Request Timeout'],
}

/** A request Node could not parse: 400 (431, 408) with the reason, then the connection is closed. */
export function handleClientError(
  engine: EngineCore,
  err: Error & { code?: string; reason?: string },
  socket: Socket,
): void {
  const busy = (socket as any)._httpMessage as ServerResponse | null | undefined
  const why = (err.reason ?? err.message ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 200)
  const gone = err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE' || !socket.writable
  if (!gone && busy && !busy.headersSent && busy.req && !busy.req.complete) {
    // the body of the request being handled is malformed (a bad chunk size …): that request gets the 400
    engine.log.serverLog('warn', `client error from ${socket.remoteAddress ?? '-'}: ${err.code ?? ''} ${why}`)
    sendError(busy.req, busy, 400, `bad request body: ${why}`, { close: true })
    // the parser is dead, so the body never ends: the request is aborted (its readers clean up, the
    // upload's temporary files go) once the 400 had time to leave
    setTimeout(abortRequest, 2000, socket, busy.req).unref()
    return
  }
  // a client gone mid-body, or a response pending on this connection (a raw 400 would be read as its
  // answer): just close; the request in progress is aborted with it
  if (gone || busy) {
    socket.destroy()
    return
  }
  const [status, reason] = CLIENT_ERROR_STATUS[err.code ?? ''] ?? [400, 'Bad Request']
  const body = `${status} ${reason}: ${why}\n`
  engine.log.serverLog('warn', `client error from ${socket.remoteAddress ?? '-'}: ${err.code ?? ''} ${why}`)
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
  setTimeout(destroySocket, 2000, socket).unref()
}

function destroySocket(socket: Socket): void {
  socket.destroy()
}

function abortRequest(socket: Socket, req: IncomingMessage): void {
  if (!req.destroyed) req.destroy()
  socket.destroy()
}
