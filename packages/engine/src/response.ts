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
  /** Body bytes passed to write()/end() (for the log when there is no Content-Length). */
  skitaiBodyBytes = 0

  override write(chunk: any, encoding?: any, cb?: any): boolean {
    if (chunk != null && typeof chunk !== 'function') this.skitaiBodyBytes += byteLength(chunk, encoding)
    return super.write(chunk, encoding, cb)
  }

  override end(chunk?: any, encoding?: any, cb?: any): this {
    if (chunk != null && typeof chunk !== 'function') this.skitaiBodyBytes += byteLength(chunk, encoding)
    return super.end(chunk, encoding, cb)
  }

  override writeHead(statusCode: number, reason?: any, headers?: any): this {
    if (this.skitaiHeadTime === 0) this.skitaiHeadTime = performance.now()
    super.writeHead(statusCode, reason, headers)
    const socket = this.socket
    const head = (this as any)._header
    if (socket !== null && typeof head === 'string') this.skitaiHeadBytes = socket.bytesWritten + head.length
    return this
  }
}

function byteLength(chunk: any, encoding: any): number {
  if (typeof chunk === 'string')
    return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
  return typeof chunk.byteLength === 'number' ? chunk.byteLength : 0
}
