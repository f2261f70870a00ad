/**
 * `cli.ws(path)` on the test client (README "Testing"): a WebSocket client (ws) with promise-based
 * `send`, `receive` and `close`, for every transport — a launched or running server, and in process
 * (through a listener on 127.0.0.1 the in-process client opens for upgrades). A refused handshake
 * rejects with a `WebSocketRefused` carrying the HTTP answer.
 */
import type { IncomingMessage } from 'node:http'
import type WebSocket from 'ws'
import { wsLib } from './lazy-server-libs.js'
import { TestClient } from './test-client.js'

export interface TestWebSocketOptions {
  headers?: Record<string, string>
  /** The `Origin` header (browsers always send one; ws does not unless asked). */
  origin?: string
  protocols?: string[]
  /** Largest message accepted from the server, bytes (default 100 MiB). */
  maxPayload?: number
  /** Answer pings automatically (default true; false to play a dead peer). */
  autoPong?: boolean
  /** ms to wait for the handshake (default 10 s). */
  timeout?: number
}

/** The handshake was answered without 101: its status, headers and body. */
export class WebSocketRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string | string[] | undefined>,
    readonly text: string,
  ) {
    super(`WebSocket handshake refused: ${status} ${text}`)
  }

  json(): any {
    return JSON.parse(this.text)
  }
}

export interface CloseInfo {
  code: number
  reason: string
}

/** One test connection: messages are queued until `receive()` takes them. */
export class TestWebSocket {
  private readonly inbox: (string | Buffer)[] = []
  private readonly waiting: { resolve: (m: string | Buffer) => void; reject: (e: Error) => void }[] = []
  private closeInfo: CloseInfo | null = null
  /** Resolves when the connection has closed (with the code the server or the client closed with). */
  readonly closed: Promise<CloseInfo>

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const m = isBinary ? data : data.toString('utf8')
      const w = this.waiting.shift()
      if (w !== undefined) w.resolve(m)
      else this.inbox.push(m)
    })
    socket.on('error', () => {})
    this.closed = new Promise((resolve) => {
      socket.once('close', (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString() }
        for (const w of this.waiting.splice(0)) w.reject(new Error(`the WebSocket closed (${code} ${reason})`))
        resolve(this.closeInfo)
      })
    })
  }

  /** Sends a string (text frame), bytes (binary frame) or any other value as JSON text. */
  send(data: unknown): Promise<void> {
    const frame =
      typeof data === 'string' || Buffer.isBuffer(data) || data instanceof Uint8Array ? data : JSON.stringify(data)
    return new Promise((resolve, reject) => this.socket.send(frame as string, (e) => (e ? reject(e) : resolve())))
  }

  /** The next message (text as a string, binary as a Buffer); rejects after `timeoutMs` or on close. */
  receive(timeoutMs = 5000): Promise<string | Buffer> {
    const m = this.inbox.shift()
    if (m !== undefined) return Promise.resolve(m)
    if (this.closeInfo !== null) return Promise.reject(new Error(`the WebSocket is closed (${this.closeInfo.code})`))
    return new Promise((resolve, reject) => {
      const entry = {
        resolve: (v: string | Buffer) => {
          clearTimeout(timer)
          resolve(v)
        },
        reject: (e: Error) => {
          clearTimeout(timer)
          reject(e)
        },
      }
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1)
        reject(new Error(`no WebSocket message within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiting.push(entry)
    })
  }

  /** The next message parsed as JSON. */
  async receiveJson(timeoutMs?: number): Promise<any> {
    return JSON.parse(String(await this.receive(timeoutMs)))
  }

  /** Starts the close handshake; resolves when closed. */
  close(code = 1000, reason = ''): Promise<CloseInfo> {
    if (this.closeInfo === null && this.socket.readyState === 1) this.socket.close(code, reason)
    else if (this.socket.readyState === 0) this.socket.terminate()
    return this.closed
  }
}

declare module './test-client.js' {
  interface TestClient {
    /** A WebSocket to `path` on the server under test (`await (await cli.ws('/ws/echo')).receive()`). */
    ws(path: string, options?: TestWebSocketOptions): Promise<TestWebSocket>
  }
}

TestClient.prototype.ws = async function (this: TestClient, path: string, options: TestWebSocketOptions = {}) {
  const origin = await this.wsOrigin()
  const headers = { ...options.headers }
  const socket = new (wsLib().WebSocket)(`${origin}${path}`, options.protocols, {
    headers,
    origin: options.origin,
    maxPayload: options.maxPayload ?? 100 * 1024 * 1024,
    autoPong: options.autoPong ?? true,
    handshakeTimeout: options.timeout ?? 10_000,
    perMessageDeflate: false,
    // a test server's certificate is usually self-signed: accepted, as the https test client does
    rejectUnauthorized: false,
  })
  const client = new TestWebSocket(socket)
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('unexpected-response', (_req, res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        socket.terminate()
        reject(new WebSocketRefused(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8')))
      })
      res.on('error', reject)
    })
    socket.once('error', reject)
  })
  return client
}
