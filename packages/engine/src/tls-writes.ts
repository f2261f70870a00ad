import { TLSSocket } from 'node:tls'

type Chunk = { chunk: string | Buffer; encoding: BufferEncoding | 'buffer' }
type WriteCallback = (error?: Error | null) => void

const tlsWrite = TLSSocket.prototype._write as (
  this: TLSSocket,
  chunk: string | Buffer,
  encoding: BufferEncoding,
  cb: WriteCallback,
) => void
const tlsWritev = (TLSSocket.prototype as any)._writev as (this: TLSSocket, chunks: Chunk[], cb: WriteCallback) => void

/**
 * node:http ends every response with an empty chunk (the one its 'finish' callback rides on), so a
 * response written with `end(body)` leaves a corked socket as `[head + body, '']`: a writev, which on a
 * TLS socket builds the array of chunks and encodings in JavaScript, and the buffer of both in C++,
 * before one TLS record is encrypted. Two chunks, the second empty, are one write instead.
 */
function joiningWritev(this: TLSSocket, chunks: Chunk[], cb: WriteCallback): void {
  if (chunks.length === 2) {
    const last = (chunks[1] as Chunk).chunk
    if (last.length === 0) {
      const first = chunks[0] as Chunk
      tlsWrite.call(this, first.chunk, first.encoding as BufferEncoding, cb)
      return
    }
  }
  tlsWritev.call(this, chunks, cb)
}

/** On an HTTP/1.1 TLS connection (once, at 'secureConnection'). */
export function joinResponseWrites(socket: TLSSocket): void {
  ;(socket as any)._writev = joiningWritev
}
