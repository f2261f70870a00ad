/**
 * Test harness for Saddle apps: the same requests through the engine in process (`testClient(engine)`,
 * light-my-request, no socket) and over a real socket (`engine.listen()` on 127.0.0.1, undici), so every
 * behaviour is checked through both.
 */
import { after, before } from 'node:test'
import { Engine, type TestClient, testClient } from '@skitai/engine'
import type { Saddle } from '@skitai/saddle'

/** The one response shape of the saddle test helpers (`clients`, auth/serve.ts `serve`). */
export interface Res {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  text: string
  json(): any
  /** Set-Cookie lines. */
  cookies: string[]
}

/** Set-Cookie lines of a header value. */
export function setCookies(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

export interface ReqOptions {
  headers?: Record<string, string>
  body?: string | Buffer
  json?: unknown
  form?: Record<string, string>
}

export interface Client {
  readonly kind: 'inject' | 'socket'
  /** The engine serving the apps. */
  readonly engine: Engine
  request(method: string, path: string, opts?: ReqOptions): Promise<Res>
  get(path: string, headers?: Record<string, string>): Promise<Res>
  post(path: string, opts?: ReqOptions): Promise<Res>
  close(): Promise<void>
}

class EngineClient implements Client {
  constructor(
    readonly kind: 'inject' | 'socket',
    readonly engine: Engine,
    private readonly cli: TestClient,
    /** `http://127.0.0.1:port` for socket clients. */
    readonly origin: string,
  ) {}
  async request(method: string, path: string, opts: ReqOptions = {}): Promise<Res> {
    const r = await this.cli.request(method, path, {
      headers: opts.headers,
      body: opts.body,
      json: opts.json,
      form: opts.form,
    })
    return {
      status: r.status,
      headers: r.headers,
      body: r.body,
      text: r.text,
      json: () => r.json(),
      cookies: setCookies(r.headers['set-cookie']),
    }
  }
  get(path: string, headers?: Record<string, string>): Promise<Res> {
    return this.request('GET', path, { headers })
  }
  post(path: string, opts?: ReqOptions): Promise<Res> {
    return this.request('POST', path, opts)
  }
  async close(): Promise<void> {
    await this.cli.close()
    if (this.kind === 'socket') await this.engine.close(1)
  }
}

export type SocketClient = EngineClient

/** One in-process and one socket client, each on its own engine with the same apps (`[point, app]`). */
export async function clients(...apps: [string, Saddle][] | [Saddle]): Promise<Client[]> {
  const list: [string, Saddle][] =
    apps.length === 1 && !Array.isArray(apps[0]) ? [['/', apps[0] as Saddle]] : (apps as [string, Saddle][])
  const make = () => {
    const engine = new Engine()
    engine.enableAccessLog(false)
    for (const [point, app] of list) engine.mount(point || '/', app)
    return engine
  }
  const inproc = make()
  const sockets = make()
  const port = await sockets.listen({ port: 0, address: '127.0.0.1' })
  return [
    new EngineClient('inject', inproc, testClient(inproc), ''),
    new EngineClient('socket', sockets, testClient({ port }), `http://127.0.0.1:${port}`),
  ]
}

export async function closeAll(list: Client[]): Promise<void> {
  for (const c of list) await c.close()
}

/**
 * Declares a suite's tests once per transport, inside a `describe`: the apps `apps()` gives (one app, or
 * `[point, app]` pairs; it may set up more first, it runs in `before`) are served in process and over a
 * socket (see `clients`) before the tests and closed after them; `body(kind, client)` declares the tests,
 * where `client()` is the client of that transport. Returns the accessor of both clients, for a test that
 * runs against each in turn.
 */
export function eachTransport(
  apps: () => Saddle | [string, Saddle][] | Promise<Saddle | [string, Saddle][]>,
  body: (kind: 'inject' | 'socket', client: () => Client) => void,
): () => Client[] {
  let list: Client[] = []
  before(async () => {
    const a = await apps()
    list = await (Array.isArray(a) ? clients(...a) : clients(a))
  })
  after(() => closeAll(list))
  for (const kind of ['inject', 'socket'] as const) body(kind, () => list.find((x) => x.kind === kind)!)
  return () => list
}
