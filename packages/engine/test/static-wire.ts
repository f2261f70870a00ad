// Test helpers for the static-file tests: a real node:http server driving a StaticHandler the way
// the engine does (strip the mount point, hand over the raw path), and a raw-socket client that
// writes the request line verbatim (fetch/undici would normalize '..' and backslashes away).
import { once } from 'node:events'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import type { StaticHandler } from '../src/static.js'

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: Buffer
  /** Everything the server wrote, headers included, for leak checks. */
  raw: string
}

/** Answers what the handler passes on with 404 and `X-Next: 1`, so tests can tell next() apart. */
export async function startStaticServer(
  handler: StaticHandler,
  mountPoint = '',
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    if (!(path === mountPoint || path.startsWith(`${mountPoint}/`))) {
      res.statusCode = 404
      res.end('outside the mount point')
      return
    }
    const rest = path.slice(mountPoint.length)
    handler.serve(req, res, rest, () => {
      res.statusCode = 404
      res.setHeader('X-Next', '1')
      res.setHeader('Content-Type', 'text/plain')
      res.end(`next() for ${JSON.stringify(rest)} ${req.method}`)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** One request over a fresh socket with `Connection: close`; the target is written verbatim. */
export function rawRequest(
  port: number,
  target: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let head = `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`
    socket.write(`${head}\r\n`, 'latin1')
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', reject)
    socket.on('end', () => {
      const all = Buffer.concat(chunks)
      const split = all.indexOf('\r\n\r\n')
      if (split === -1) return reject(new Error(`no complete response for ${target}: ${all.toString('latin1')}`))
      const lines = all.subarray(0, split).toString('latin1').split('\r\n')
      const status = Number(lines[0]!.split(' ')[1])
      const hdrs: Record<string, string> = {}
      for (const line of lines.slice(1)) {
        const c = line.indexOf(':')
        hdrs[line.slice(0, c).toLowerCase()] = line.slice(c + 1).trim()
      }
      let body = all.subarray(split + 4)
      if (hdrs['transfer-encoding'] === 'chunked') body = dechunk(body)
      resolve({ status, headers: hdrs, body, raw: all.toString('latin1') })
    })
  })
}

function dechunk(buf: Buffer): Buffer {
  const out: Buffer[] = []
  let at = 0
  for (;;) {
    const eol = buf.indexOf('\r\n', at)
    if (eol === -1) break
    const size = Number.parseInt(buf.subarray(at, eol).toString('latin1'), 16)
    if (!size) break
    out.push(buf.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
  return Buffer.concat(out)
}
