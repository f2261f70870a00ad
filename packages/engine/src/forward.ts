import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * `skitai.enableForward(80, 443)` (README "HTTP to HTTPS forward"): a small plain-HTTP server on the first
 * port that answers every request with `301` to the same host, path and query on https at the second
 * port (`:443` is left out of the URL). Nothing is mounted on it; it has its own short timeouts.
 */
export class HttpsForward {
  private server: Server | null = null

  constructor(
    readonly fromPort: number,
    readonly toPort: number,
  ) {
    for (const [what, p] of [
      ['from', fromPort],
      ['to', toPort],
    ] as const) {
      if (!Number.isInteger(p) || p < 0 || p > 65535)
        throw new TypeError(`enableForward: the ${what} port must be an integer 0-65535, got ${p}`)
    }
  }

  /** Listen on `fromPort` (0: a free port); `toPort` 0 means the port the TLS server got. */
  async listen(address: string, boundTlsPort: number): Promise<number> {
    const to = this.toPort === 0 ? boundTlsPort : this.toPort
    const server = createServer(
      { requestTimeout: 10_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 },
      (req, res) => answer(req, res, to),
    )
    server.on('clientError', (_err, socket) => socket.destroy())
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.fromPort, address, () => {
        server.removeListener('error', reject)
        resolve()
      })
    })
    return (server.address() as AddressInfo).port
  }

  close(): Promise<void> {
    const server = this.server
    if (server === null) return Promise.resolve()
    this.server = null
    return new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
}

function answer(req: IncomingMessage, res: ServerResponse, toPort: number): void {
  const host = hostName(req.headers.host)
  if (host === null) {
    const body = '400 Bad Request: a Host header is needed to forward to https\n'
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) })
    res.end(body)
    return
  }
  const url = req.url ?? '/'
  const path = url.charCodeAt(0) === 47 ? url : '/'
  const location = `https://${host}${toPort === 443 ? '' : `:${toPort}`}${path}`
  const body = `301 Moved Permanently: ${location}\n`
  res.writeHead(301, {
    location,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}

/** `example.com:80` → `example.com`, `[::1]:80` → `[::1]`; an empty or malformed Host → null. */
function hostName(h: string | undefined): string | null {
  if (h === undefined) return null
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/.exec(h.trim())
  return m === null ? null : (m[1] as string)
}
