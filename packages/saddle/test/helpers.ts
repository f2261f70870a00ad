/**
 * Test harness for Saddle apps: the same requests in process (light-my-request) and over a real socket
 * (node:http on 127.0.0.1, undici client), so every behaviour is checked through both.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { RequestContext } from '@skitai/engine'
import type { Saddle } from '@skitai/saddle'
import { inject } from 'light-my-request'
import { request as undiciRequest } from 'undici'

export interface Res {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  text: string
  json(): any
}

export interface ReqOptions {
  headers?: Record<string, string>
  body?: string | Buffer
  json?: unknown
  form?: Record<string, string>
}

export interface Client {
  readonly kind: 'inject' | 'socket'
  request(method: string, path: string, opts?: ReqOptions): Promise<Res>
  get(path: string, headers?: Record<string, string>): Promise<Res>
  post(path: string, opts?: ReqOptions): Promise<Res>
  close(): Promise<void>
}

let seq = 0

function makeCtx(req: IncomingMessage, point: string): RequestContext {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  return {
    mountPoint: point,
    path: path.slice(point.length),
    search: q < 0 ? '' : url.slice(q + 1),
    gtxnid: `t${++seq}`,
    ltxnid: 1000,
    startTime: performance.now(),
    user: null,
    maxBodySize: 256 * 1024 * 1024,
  }
}

async function mountAll(apps: [string, Saddle][]): Promise<(req: IncomingMessage, res: ServerResponse) => void> {
  const registry: Record<string, Saddle> = {}
  for (const [, app] of apps) registry[app.name] = app
  const engine = {
    apps: registry,
    mountPointOf: (a: unknown) => apps.find(([, x]) => x === a)?.[0],
  }
  for (const [point, app] of apps) await app.mount({ point, hosts: null, engine })
  const sorted = [...apps].sort((a, b) => b[0].length - a[0].length)
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    const hit = sorted.find(([p]) => path === p || path.startsWith(`${p}/`))
    if (hit === undefined) {
      res.writeHead(404).end()
      return
    }
    hit[1].handle(req, res, makeCtx(req, hit[0]))
  }
}

function encode(opts: ReqOptions = {}): { headers: Record<string, string>; body: string | Buffer | undefined } {
  const headers: Record<string, string> = { ...opts.headers }
  let body = opts.body
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json)
    headers['content-type'] ??= 'application/json'
  } else if (opts.form !== undefined) {
    body = new URLSearchParams(opts.form).toString()
    headers['content-type'] ??= 'application/x-www-form-urlencoded'
  }
  return { headers, body }
}

function wrap(status: number, headers: Res['headers'], body: Buffer): Res {
  return { status, headers, body, text: body.toString('utf8'), json: () => JSON.parse(body.toString('utf8')) }
}

abstract class BaseClient implements Client {
  abstract readonly kind: 'inject' | 'socket'
  abstract request(method: string, path: string, opts?: ReqOptions): Promise<Res>
  get(path: string, headers?: Record<string, string>): Promise<Res> {
    return this.request('GET', path, { headers })
  }
  post(path: string, opts?: ReqOptions): Promise<Res> {
    return this.request('POST', path, opts)
  }
  async close(): Promise<void> {}
}

class InjectClient extends BaseClient {
  readonly kind = 'inject' as const
  constructor(private readonly dispatch: (req: IncomingMessage, res: ServerResponse) => void) {
    super()
  }
  async request(method: string, path: string, opts?: ReqOptions): Promise<Res> {
    const { headers, body } = encode(opts)
    const r = await inject(this.dispatch, { method: method as any, url: path, headers, payload: body })
    return wrap(r.statusCode, r.headers as Res['headers'], r.rawPayload)
  }
}

export class SocketClient extends BaseClient {
  readonly kind = 'socket' as const
  constructor(
    readonly server: Server,
    readonly origin: string,
  ) {
    super()
  }
  async request(method: string, path: string, opts?: ReqOptions): Promise<Res> {
    const { headers, body } = encode(opts)
    const r = await undiciRequest(this.origin + path, { method: method as any, headers, body })
    const buf = Buffer.from(await r.body.arrayBuffer())
    return wrap(r.statusCode, r.headers as Res['headers'], buf)
  }
  override async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise((r) => this.server.close(r))
  }
}

/** One in-process and one socket client for the same mounted apps (`[point, app]`, point '' for '/'). */
export async function clients(...apps: [string, Saddle][] | [Saddle]): Promise<Client[]> {
  const list: [string, Saddle][] =
    apps.length === 1 && !Array.isArray(apps[0]) ? [['', apps[0] as Saddle]] : (apps as [string, Saddle][])
  const dispatch = await mountAll(list)
  const server = createServer(dispatch)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return [new InjectClient(dispatch), new SocketClient(server, `http://127.0.0.1:${port}`)]
}

export async function closeAll(list: Client[]): Promise<void> {
  for (const c of list) await c.close()
}
