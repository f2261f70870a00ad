import { type ClientHttp2Session, connect } from 'node:http2'

/**
 * `cli.http2` of a socket test client (README "Test client"): the same requests over one HTTP/2
 * connection — h2c with prior knowledge to a plain server, h2 by ALPN (any certificate accepted) to a TLS
 * one. The connection opens at the first request and is shared by the requests that follow.
 */
export class Http2Transport {
  private session: ClientHttp2Session | null = null

  constructor(
    private readonly origin: () => Promise<string>,
    private readonly make: (status: number, headers: Record<string, string | string[]>, body: Buffer) => any,
  ) {}

  private async open(): Promise<ClientHttp2Session> {
    if (this.session !== null && !this.session.closed && !this.session.destroyed) return this.session
    const origin = await this.origin()
    const session = connect(origin, { rejectUnauthorized: false })
    session.on('error', () => {})
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve())
      session.once('error', reject)
    })
    this.session = session
    return session
  }

  async request(method: string, url: string, headers: Record<string, string>, body: Buffer | undefined) {
    const session = await this.open()
    const stream = session.request({ ...headers, ':method': method, ':path': url }, { endStream: body === undefined })
    if (body !== undefined) stream.end(body)
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      let status = 0
      const h: Record<string, string | string[]> = {}
      stream.on('response', (head) => {
        status = Number(head[':status'])
        for (const k in head) {
          const v = head[k]
          if (k.charCodeAt(0) !== 58 && v !== undefined) h[k] = v as string | string[]
        }
      })
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => resolve(this.make(status, h, Buffer.concat(chunks))))
      stream.on('error', reject)
    })
  }

  /** The protocol the connection negotiated: 'h2' (TLS) or 'h2c'. */
  async protocol(): Promise<string | undefined> {
    return (await this.open()).alpnProtocol
  }

  async close(): Promise<void> {
    const s = this.session
    this.session = null
    if (s !== null && !s.closed) await new Promise<void>((r) => s.close(() => r()))
  }
}
