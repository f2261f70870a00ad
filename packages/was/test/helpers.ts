// Real backend servers on 127.0.0.1 for the was tests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Backend {
  server: Server
  port: number
  /** Requests received. */
  hits: number
  /** Headers of the last request. */
  last: IncomingMessage | null
  close(): Promise<void>
}

export async function backend(
  handler: (req: IncomingMessage, res: ServerResponse, b: Backend) => void,
  port = 0,
): Promise<Backend> {
  const b: Backend = {
    server: null as unknown as Server,
    port: 0,
    hits: 0,
    last: null,
    close: async () => {
      b.server.closeAllConnections()
      await new Promise<void>((r) => b.server.close(() => r()))
    },
  }
  b.server = createServer((req, res) => {
    b.hits++
    b.last = req
    handler(req, res, b)
  })
  await new Promise<void>((r) => b.server.listen(port, '127.0.0.1', () => r()))
  b.port = (b.server.address() as AddressInfo).port
  return b
}

export function json(res: ServerResponse, value: unknown, status = 200): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
