import { ServerResponse } from 'node:http'
import type { EngineRequestContext } from './request-context.js'

/**
 * The server's response class: node's ServerResponse plus the request's context and the moment the head
 * was written (handling time vs transfer time in the access log). Fields are declared here so every
 * response has the same shape. An app that swaps the prototype (Express does) loses the writeHead
 * hook; its log lines then count all time as handling time.
 */
export class SkitaiResponse extends ServerResponse {
  skitaiCtx: EngineRequestContext | null = null
  skitaiHeadTime = 0
  skitaiHeadBytes = -1

  override writeHead(statusCode: number, reason?: any, headers?: any): this {
    if (this.skitaiHeadTime === 0) this.skitaiHeadTime = performance.now()
    super.writeHead(statusCode, reason, headers)
    const socket = this.socket
    const head = (this as any)._header
    if (socket !== null && typeof head === 'string') this.skitaiHeadBytes = socket.bytesWritten + head.length
    return this
  }
}
