import { existsSync, readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { basename } from 'node:path'
import { lightMyRequestLib, mimeTypesLib, undiciLib } from './lazy-server-libs.js'
import type { EngineCore } from './engine-core.js'
import { handleUpgrade } from './upgrade-request.js'
import { LaunchedServer, freePort } from './test-launch.js'
import type { Pool } from 'undici'
import { Http2Transport } from './test-client-h2.js'

/**
 * The test client (README "Test client"): one API over three transports — in-process injection (light-my-request,
 * no socket), a server process launched from a serve script, and a server already running.
 */

export interface TestRequestOptions {
  headers?: Record<string, string>
  /** A raw body, sent as is. */
  body?: string | Buffer | Uint8Array
  /** A value sent as JSON (`Content-Type: application/json`). */
  json?: unknown
  /** Fields sent urlencoded (`application/x-www-form-urlencoded`). */
  form?: Record<string, unknown>
}

export class TestResponse {
  constructor(
    readonly status: number,
    /** Lower-case names; repeated headers (Set-Cookie) as arrays. */
    readonly headers: Record<string, string | string[]>,
    readonly body: Buffer,
  ) {}

  get text(): string {
    return this.body.toString('utf8')
  }

  json(): any {
    return JSON.parse(this.text)
  }

  /** The body decoded by its content type: JSON → value, text and XML → string, otherwise a Buffer. */
  get data(): any {
    const type = String(this.headers['content-type'] ?? '')
    if (/[/+]json\b/.test(type)) return this.body.length === 0 ? null : this.json()
    if (type.startsWith('text/') || /[/+]xml\b/.test(type)) return this.text
    return this.body
  }
}

interface Transport {
  request(method: string, url: string, headers: Record<string, string>, body: Buffer | undefined): Promise<TestResponse>
  /** `ws://host:port` for `cli.ws` (test-client-ws.ts); in process, a listener on 127.0.0.1 is opened for it. */
  wsOrigin(): Promise<string>
  close(): Promise<void>
}

/** A file for `upload()`: a path, a Buffer, or this shape for a name and type of your choice. */
export interface UploadFile {
  path?: string
  content?: Buffer | Uint8Array | string
  filename?: string
  contentType?: string
}

export class TestClient {
  constructor(private readonly transport: Transport) {}

  /** The port of a launched or running server (undefined in process). */
  get port(): number | undefined {
    return (this.transport as any).port
  }

  /**
   * The same client over HTTP/2 (h2c to a plain server, h2 by ALPN to a TLS one): `cli.http2.get('/')`.
   * For launched and `{ port }` clients; an in-process client has no connection to speak HTTP/2 on.
   */
  get http2(): TestClient {
    const h2 = (this.transport as Partial<SocketTransport>).http2?.()
    if (h2 === undefined)
      throw new Error('cli.http2 needs a server over sockets: testClient(script) or testClient({ port })')
    return (this.h2client ??= new TestClient(h2))
  }
  private h2client: TestClient | undefined = undefined

  /** The launched server process (for signals in tests), if any. */
  get child(): import('node:child_process').ChildProcess | undefined {
    return (this.transport as any).launched?.child
  }

  /** Resolves when the server can be reached (a launched one is listening); rejects if it failed to start. */
  async ready(): Promise<this> {
    await (this.transport as any).whenReady?.()
    return this
  }

  /** What the launched server printed (stdout and stderr), for diagnostics. */
  output(): string {
    return (this.transport as any).launched?.output() ?? ''
  }

  async request(method: string, url: string, options: TestRequestOptions = {}): Promise<TestResponse> {
    const headers: Record<string, string> = {}
    for (const k in options.headers) headers[k.toLowerCase()] = options.headers[k] as string
    let body: Buffer | undefined
    if (options.json !== undefined) {
      body = Buffer.from(JSON.stringify(options.json))
      headers['content-type'] ??= 'application/json'
    } else if (options.form !== undefined) {
      body = Buffer.from(urlencode(options.form))
      headers['content-type'] ??= 'application/x-www-form-urlencoded'
    } else if (options.body !== undefined) {
      body = typeof options.body === 'string' ? Buffer.from(options.body) : Buffer.from(options.body)
    }
    return this.transport.request(method.toUpperCase(), url, headers, body)
  }

  get(url: string, options?: Omit<TestRequestOptions, 'body' | 'json' | 'form'>): Promise<TestResponse> {
    return this.request('GET', url, options)
  }
  head(url: string, options?: Omit<TestRequestOptions, 'body' | 'json' | 'form'>): Promise<TestResponse> {
    return this.request('HEAD', url, options)
  }
  options(url: string, options?: Omit<TestRequestOptions, 'body' | 'json' | 'form'>): Promise<TestResponse> {
    return this.request('OPTIONS', url, options)
  }
  delete(url: string, options?: TestRequestOptions): Promise<TestResponse> {
    return this.request('DELETE', url, options)
  }

  /** Objects are sent as JSON (or urlencoded with `{ form: true }`); strings and Buffers as they are. */
  post(url: string, data?: unknown, options?: SendOptions): Promise<TestResponse> {
    return this.request('POST', url, withData(data, options))
  }
  put(url: string, data?: unknown, options?: SendOptions): Promise<TestResponse> {
    return this.request('PUT', url, withData(data, options))
  }
  patch(url: string, data?: unknown, options?: SendOptions): Promise<TestResponse> {
    return this.request('PATCH', url, withData(data, options))
  }

  /**
   * multipart/form-data: Buffers, `UploadFile` objects and strings naming an existing file are sent as
   * files; other values as fields; arrays repeat the field.
   */
  async upload(
    url: string,
    fields: Record<string, unknown>,
    options: { headers?: Record<string, string> } = {},
  ): Promise<TestResponse> {
    const fd = new FormData()
    for (const [name, value] of Object.entries(fields)) {
      for (const v of Array.isArray(value) ? value : [value]) appendField(fd, name, v)
    }
    // the platform's multipart encoder (undici's) writes the body and its boundary
    const encoded = new Response(fd)
    const body = Buffer.from(await encoded.arrayBuffer())
    const headers = { ...options.headers, 'content-type': encoded.headers.get('content-type') as string }
    return this.request('POST', url, { headers, body })
  }

  /** @internal the origin `cli.ws` connects to */
  wsOrigin(): Promise<string> {
    return this.transport.wsOrigin()
  }

  /** Stop the launched server (SIGTERM, then SIGKILL after 10 s) or release connections. */
  close(): Promise<void> {
    return this.transport.close()
  }
}

export interface SendOptions {
  headers?: Record<string, string>
  /** Send an object urlencoded instead of as JSON. */
  form?: boolean
}

function withData(data: unknown, options: SendOptions = {}): TestRequestOptions {
  const base = { headers: options.headers }
  if (data === undefined || data === null) return base
  if (typeof data === 'string' || Buffer.isBuffer(data) || data instanceof Uint8Array) return { ...base, body: data }
  if (options.form) return { ...base, form: data as Record<string, unknown> }
  return { ...base, json: data }
}

function urlencode(form: Record<string, unknown>): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(form)) {
    for (const x of Array.isArray(v) ? v : [v]) p.append(k, String(x))
  }
  return p.toString()
}

function appendField(fd: FormData, name: string, v: unknown): void {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    fd.append(name, new Blob([v as Uint8Array<ArrayBuffer>]), name)
  } else if (v instanceof Blob) {
    fd.append(name, v, (v as File).name ?? name)
  } else if (typeof v === 'string' && isFile(v)) {
    fd.append(
      name,
      new Blob([readFileSync(v)], { type: mimeTypesLib().lookup(v) || 'application/octet-stream' }),
      basename(v),
    )
  } else if (typeof v === 'object' && v !== null && ('path' in v || 'content' in v)) {
    const f = v as UploadFile
    const content = f.content ?? readFileSync(f.path as string)
    const filename = f.filename ?? (f.path ? basename(f.path) : name)
    const type = f.contentType ?? (mimeTypesLib().lookup(filename) || 'application/octet-stream')
    fd.append(name, new Blob([content as Uint8Array<ArrayBuffer> | string], { type }), filename)
  } else {
    fd.append(name, String(v))
  }
}

function isFile(p: string): boolean {
  try {
    return p.length < 4096 && existsSync(p) && statSync(p).isFile()
  } catch {
    return false
  }
}

/** In process: requests are injected into the engine's handler; nothing listens. */
class InjectTransport implements Transport {
  // the engine as engine-core.ts describes it: this file must not import engine.ts, which imports it
  constructor(private readonly engine: EngineCore) {}

  async request(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
  ): Promise<TestResponse> {
    await this.engine.prepare()
    const r = await lightMyRequestLib().inject(this.dispatch, { method: method as any, url, headers, payload: body })
    // a HEAD response has no body on the wire; light-my-request 6.6 (pinned: 6.8 needs cookie@2, Node 22)
    // hands back whatever the app wrote, so drop it here as a socket would
    const payload = method.toUpperCase() === 'HEAD' ? Buffer.alloc(0) : r.rawPayload
    return new TestResponse(r.statusCode, r.headers as Record<string, string | string[]>, payload)
  }

  /**
   * WebSocket needs a real connection (an upgrade takes the socket over): the first `cli.ws` opens a
   * listener on 127.0.0.1 for this engine's upgrades, in this process, closed by `cli.close()`.
   */
  private upgrades: Promise<import('node:http').Server> | null = null

  async wsOrigin(): Promise<string> {
    await this.engine.prepare()
    this.upgrades ??= listenForUpgrades(this.engine)
    const server = await this.upgrades
    return `ws://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`
  }

  async close(): Promise<void> {
    if (this.upgrades === null) return
    const server = await this.upgrades
    this.upgrades = null
    this.engine.ws.closeAll(1001, 'test client closed')
    await new Promise<void>((done) => server.close(() => done()))
  }

  /**
   * light-my-request captures the body through methods of its response class; Express replaces the
   * prototype of `res`, which would lose them. Pinning them on the instance keeps them in front.
   */
  private readonly dispatch = (req: IncomingMessage, res: ServerResponse): void => {
    const proto = Object.getPrototypeOf(res)
    for (const key of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, key)
      if (key !== 'constructor' && typeof d?.value === 'function') (res as any)[key] = d.value
    }
    this.engine.handler(req, res)
  }
}

/** Over real sockets (undici) to a server on 127.0.0.1 (or `host`), once it is ready. */
class SocketTransport implements Transport {
  private pool: Pool | null = null
  private readonly ready: Promise<Pool>
  private h2: Http2Transport | null = null
  constructor(
    port: number | Promise<number>,
    private readonly host = '127.0.0.1',
    readonly launched: LaunchedServer | null = null,
    private readonly https = false,
  ) {
    this.ready = Promise.resolve(port).then((p) => {
      this.port = p
      // any certificate is accepted: test servers use self-signed ones
      this.pool = new (undiciLib().Pool)(this.origin(p), { connections: 16, connect: { rejectUnauthorized: false } })
      return this.pool
    })
    // a launch failure surfaces at the first request (or close), not as an unhandled rejection
    this.ready.catch(() => {})
  }

  port: number | undefined = undefined

  async request(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
  ): Promise<TestResponse> {
    const pool = await this.ready
    const r = await pool.request({ method: method as any, path: url, headers, body })
    const buf = Buffer.from(await r.body.arrayBuffer())
    const h: Record<string, string | string[]> = {}
    for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) h[k.toLowerCase()] = v
    return new TestResponse(r.statusCode, h, buf)
  }

  private origin(port: number): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host
    return `${this.https ? 'https' : 'http'}://${h}:${port}`
  }

  /** The HTTP/2 transport to the same server (`cli.http2`), made once. */
  http2(): Transport {
    this.h2 ??= new Http2Transport(
      () => this.ready.then(() => this.origin(this.port as number)),
      (status, headers, body) => new TestResponse(status, headers, body),
    ) as Transport & Http2Transport
    return this.h2 as unknown as Transport
  }

  async close(): Promise<void> {
    await this.ready.catch(() => {})
    await this.h2?.close()
    await this.pool?.close()
    if (this.launched) await this.launched.stop()
  }

  whenReady(): Promise<unknown> {
    return this.ready
  }

  async wsOrigin(): Promise<string> {
    await this.ready
    const h = this.host.includes(':') ? `[${this.host}]` : this.host
    return `${this.https ? 'wss' : 'ws'}://${h}:${this.port}`
  }
}

export interface LaunchOptions {
  /** Port for the server (`--port`); a free one when absent. */
  port?: number
  /** More command-line arguments for the script. */
  args?: string[]
  /** Seconds to wait for the server to listen (default 30). */
  timeout?: number
  env?: Record<string, string>
  /** The script serves TLS (`enableSsl`): talk https to it (any certificate accepted). */
  https?: boolean
}

/**
 * A test client for an engine (in process), a script to launch with the `skitai` command (a relative
 * path resolved against `root`), or a server already running on `{ port, host? }`. Apps are put on an
 * engine first by engine.ts `testClient`, the public entry.
 */
export function openTestClient(
  target: EngineCore | string | { port: number; host?: string; https?: boolean },
  options: LaunchOptions & { root?: string } = {},
): TestClient {
  if (typeof target === 'string') return launch(target, options)
  if ('port' in target && typeof target.port === 'number') {
    return new TestClient(new SocketTransport(target.port, target.host, null, target.https === true))
  }
  return new TestClient(new InjectTransport(target as EngineCore))
}

/** A listener that hands upgrades (and plain requests) to the engine, for the in-process `cli.ws`. */
function listenForUpgrades(engine: EngineCore): Promise<import('node:http').Server> {
  const server = createServer(engine.handler)
  server.on('upgrade', (req, socket, head) => handleUpgrade(engine, req, socket as Socket, head))
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

/** Starts the script at once; requests wait until it listens. */
function launch(script: string, options: LaunchOptions & { root?: string }): TestClient {
  const server = new LaunchedServer(script, options)
  const port = (options.port !== undefined ? Promise.resolve(options.port) : freePort()).then((p) => server.start(p))
  return new TestClient(new SocketTransport(port, '127.0.0.1', server, options.https === true))
}
