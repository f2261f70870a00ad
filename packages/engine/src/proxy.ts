import type { IncomingMessage, ServerResponse } from 'node:http'
import { connect as tcpConnect } from 'node:net'
import type { Duplex } from 'node:stream'
import { connect as tlsConnect } from 'node:tls'
import { type Cluster, getAlias, HttpError, type Member, pickMember, splitAliasUrl, wasStorage } from '@skitai/was'
import type { RequestContext } from './contract.js'
import type { EngineRequestContext } from './request-context.js'

/**
 * `skitai.mount('/search', '@alias')` (or `'@alias/base/path'`): a load-balanced reverse proxy to the
 * alias's members (SPEC §3.3). Members are chosen as for `was.get.lb` (weight and load, members marked
 * down skipped and probed); a member that refuses the connection is marked down and the request goes to
 * another one — also with a body, because the body is only read once a member has accepted the request.
 * A dropped connection before the response is retried only for idempotent bodyless requests. Bodies
 * stream both ways with backpressure (undici pauses the upstream while the client's socket is full).
 * 502 when every member failed, 504 when the member did not answer within the alias's `timeout`.
 */
export function createAliasProxy(
  target: string,
): (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void {
  const a = splitAliasUrl(target)
  if (a === undefined || a.name === '')
    throw new Error(`cannot mount ${JSON.stringify(target)}: expected '@alias' or '@alias/base/path'`)
  const name = a.name
  const base = a.path.replace(/\/+$/, '').replace(/\?.*$/, '')
  return function aliasProxy(req, res, ctx) {
    // Resolved per request (a Map lookup) so the alias may be registered after the mount.
    const cluster = getAlias(name)
    if (cluster === undefined) {
      fail(
        req,
        res,
        ctx,
        new HttpError(502, 'Bad Gateway', { detail: `unknown alias '@${name}' (register it with skitai.alias)` }),
      )
      return
    }
    const path = `${base}${ctx.path === '' ? '/' : ctx.path}${ctx.search === '' ? '' : `?${ctx.search}`}`
    new ProxyExchange(req, res, ctx, cluster, path).start()
  }
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and ones this proxy sets itself. */
const HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])
const CONNECT_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
])
const DROP_ERRORS: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'])
const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])
const DEFAULT_TIMEOUT_MS = 30_000

/** Names listed in a Connection header are hop-by-hop for that message. */
function connectionTokens(v: string | string[] | undefined): Set<string> | null {
  if (v === undefined) return null
  const s = Array.isArray(v) ? v.join(',') : v
  const out = new Set<string>()
  for (const t of s.split(',')) {
    const n = t.trim().toLowerCase()
    if (n !== '') out.add(n)
  }
  return out
}

function filterHeaders(
  h: Record<string, string | string[] | undefined>,
  drop: ReadonlySet<string>,
): Record<string, string | string[]> {
  const extra = connectionTokens(h.connection)
  const out: Record<string, string | string[]> = {}
  for (const k in h) {
    const v = h[k]
    if (v === undefined || HOP.has(k) || drop.has(k) || extra?.has(k)) continue
    out[k] = v
  }
  return out
}

const REQUEST_DROP: ReadonlySet<string> = new Set(['host', 'expect', 'x-gtxn-id', 'x-ltxn-id'])
const RESPONSE_DROP: ReadonlySet<string> = new Set()

interface Controller {
  abort(reason: Error): void
  pause(): void
  resume(): void
}

class ProxyExchange {
  private readonly req: IncomingMessage
  private readonly res: ServerResponse
  private readonly ctx: RequestContext
  private readonly cluster: Cluster
  private readonly path: string
  private readonly headers: Record<string, string | string[]>
  private readonly hasBody: boolean
  private member: Member | null
  private tried: Member[] | null
  private controller: Controller | null
  /** The request body began to be sent: no other member may be tried. */
  private bodyStarted: boolean
  private finished: boolean
  private resumeFn: (() => void) | null

  constructor(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, cluster: Cluster, path: string) {
    this.req = req
    this.res = res
    this.ctx = ctx
    this.cluster = cluster
    this.path = path
    this.member = null
    this.tried = null
    this.controller = null
    this.bodyStarted = false
    this.finished = false
    this.resumeFn = null
    const h = filterHeaders(req.headers, REQUEST_DROP)
    const prior = req.headers['x-forwarded-for']
    const ip = req.socket.remoteAddress ?? ''
    h['x-forwarded-for'] = prior === undefined ? ip : `${Array.isArray(prior) ? prior.join(', ') : prior}, ${ip}`
    h['x-forwarded-proto'] = (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http'
    if (req.headers.host !== undefined) h['x-forwarded-host'] = req.headers.host
    // Transaction ids go on: the caller's global id, and the next local id of this request.
    const w = wasStorage.getStore()
    if (w !== undefined) Object.assign(h, w.nextTxnHeaders())
    else {
      h['x-gtxn-id'] = ctx.gtxnid
      h['x-ltxn-id'] = String(ctx.ltxnid + 1)
    }
    this.headers = h
    const cl = req.headers['content-length']
    this.hasBody = req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0')
  }

  start(): void {
    this.res.on('close', () => {
      if (this.finished) return
      // The client went away: stop the upstream exchange too.
      this.finished = true
      this.release()
      this.controller?.abort(new Error('client closed the connection'))
    })
    const m = pickMember(this.cluster, null)
    if (m === null) this.respondError(502, `no member of @${this.cluster.name} to call`)
    else this.attempt(m)
  }

  private attempt(m: Member): void {
    this.member = m
    m.inflight++
    let headers = this.headers
    if (m.authorization !== null && headers.authorization === undefined)
      headers = { ...headers, authorization: m.authorization }
    const timeout = this.cluster.timeoutMs > 0 ? this.cluster.timeoutMs : DEFAULT_TIMEOUT_MS
    const opts = {
      origin: m.origin,
      path: this.path,
      method: this.req.method ?? 'GET',
      headers,
      body: this.hasBody ? this.bodyStream() : null,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    }
    try {
      m.dispatcher().dispatch(opts as any, this as any)
    } catch (e) {
      this.onResponseError(null, e as Error)
    }
  }

  /** The client's body, read only when undici starts writing it to a member (so fail-over stays possible). */
  private async *bodyStream(): AsyncGenerator<Buffer> {
    this.bodyStarted = true
    for await (const chunk of this.req) yield chunk as Buffer
  }

  private release(): void {
    const m = this.member
    if (m !== null) {
      m.inflight--
      this.member = null
    }
  }

  // ---- undici handler (v2) ----
  onRequestStart(controller: Controller): void {
    this.controller = controller
    if (this.finished) controller.abort(new Error('client closed the connection'))
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (this.finished) return
    const res = this.res
    const out = filterHeaders(headers, RESPONSE_DROP)
    try {
      if (statusMessage) res.writeHead(statusCode, statusMessage, out)
      else res.writeHead(statusCode, out)
    } catch (e) {
      controller.abort(e as Error)
    }
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.finished) return
    if (!this.res.write(chunk)) {
      // Backpressure: stop reading from the member until the client has taken what was written.
      controller.pause()
      this.resumeFn ??= () => this.controller?.resume()
      this.res.once('drain', this.resumeFn)
    }
  }

  onResponseEnd(): void {
    if (this.finished) return
    this.finished = true
    this.release()
    this.res.end()
  }

  onResponseError(_c: unknown, err: Error): void {
    if (this.finished) return
    const code = (err as { code?: string }).code ?? ''
    const m = this.member
    const before = !this.res.headersSent
    if (m !== null && before && (CONNECT_ERRORS.has(code) || DROP_ERRORS.has(code))) {
      m.markDown(`${code}: ${err.message}`)
      const retry =
        !this.bodyStarted && (CONNECT_ERRORS.has(code) || (!this.hasBody && IDEMPOTENT.has(this.req.method ?? 'GET')))
      if (retry) {
        this.release()
        ;(this.tried ??= []).push(m)
        const next = pickMember(this.cluster, this.tried)
        if (next !== null) {
          this.controller = null
          this.attempt(next)
          return
        }
      }
    }
    this.finished = true
    this.release()
    if (!before) {
      // Part of the response was sent: cutting the connection is the only honest signal left.
      this.res.destroy(err)
      return
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      this.respondError(504, `@${this.cluster.name} did not answer in time`)
    } else {
      const all = this.tried !== null && this.tried.length + 1 >= this.cluster.members.length
      this.respondError(
        502,
        all
          ? `every member of @${this.cluster.name} failed (${code || err.message})`
          : `@${this.cluster.name}: ${code || err.message}`,
      )
    }
  }

  private respondError(status: number, detail: string): void {
    this.finished = true
    // An unread request body would otherwise stall the keep-alive connection.
    if (this.hasBody && !this.bodyStarted) this.req.resume()
    fail(this.req, this.res, this.ctx, new HttpError(status, undefined, { detail }))
  }
}

function fail(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, e: HttpError): void {
  if (res.headersSent) {
    res.destroy(e)
    return
  }
  const engine = (ctx as Partial<EngineRequestContext>).engine
  if (engine !== undefined) {
    engine.handlerFailed(e, req, res, ctx as EngineRequestContext)
    return
  }
  const body = `${e.status} ${e.message}: ${e.detail ?? ''}\n`
  res.writeHead(e.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/**
 * WebSocket (any `Upgrade`) through an `'@alias'` mount: the engine calls this from its 'upgrade' event
 * for a proxy mount. The handshake is forwarded to a member over a new TCP (or TLS) connection and the
 * two sockets are then piped both ways. A member refusing the connection is marked down and the next
 * one is tried; when none accepts, the client gets `502`.
 */
export function createAliasUpgrade(
  target: string,
): (req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RequestContext) => boolean {
  const a = splitAliasUrl(target)
  if (a === undefined || a.name === '')
    throw new Error(`cannot mount ${JSON.stringify(target)}: expected '@alias' or '@alias/base/path'`)
  const name = a.name
  const base = a.path.replace(/\/+$/, '').replace(/\?.*$/, '')
  return function aliasUpgrade(req, socket, head, ctx) {
    const cluster = getAlias(name)
    if (cluster === undefined) {
      refuseUpgrade(socket, `unknown alias '@${name}'`)
      return true
    }
    const path = `${base}${ctx.path === '' ? '/' : ctx.path}${ctx.search === '' ? '' : `?${ctx.search}`}`
    const w = wasStorage.getStore()
    const txn = w !== undefined ? w.nextTxnHeaders() : { 'x-gtxn-id': ctx.gtxnid, 'x-ltxn-id': String(ctx.ltxnid + 1) }
    let lines = `${req.method ?? 'GET'} ${path} HTTP/1.1\r\n`
    const extra = connectionTokens(req.headers.connection)
    const raw = req.rawHeaders
    for (let i = 0; i < raw.length; i += 2) {
      const k = (raw[i] as string).toLowerCase()
      if (k === 'host' || k === 'connection' || k === 'upgrade' || HOP.has(k) || REQUEST_DROP.has(k) || extra?.has(k))
        continue
      if (k === 'x-forwarded-for' || k === 'x-forwarded-proto' || k === 'x-forwarded-host') continue
      lines += `${raw[i]}: ${raw[i + 1]}\r\n`
    }
    const prior = req.headers['x-forwarded-for']
    const ip = req.socket.remoteAddress ?? ''
    lines += `Connection: Upgrade\r\nUpgrade: ${req.headers.upgrade ?? 'websocket'}\r\n`
    lines += `X-Forwarded-For: ${prior === undefined ? ip : `${prior}, ${ip}`}\r\n`
    lines += `X-Forwarded-Proto: ${(req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http'}\r\n`
    if (req.headers.host !== undefined) lines += `X-Forwarded-Host: ${req.headers.host}\r\n`
    lines += `X-Gtxn-Id: ${txn['x-gtxn-id']}\r\nX-Ltxn-Id: ${txn['x-ltxn-id']}\r\n`
    tunnel(cluster, lines, head, socket, null)
    return true
  }
}

function tunnel(cluster: Cluster, lines: string, head: Buffer, client: Duplex, tried: Member[] | null): void {
  const m = pickMember(cluster, tried)
  if (m === null) {
    refuseUpgrade(client, `every member of @${cluster.name} failed`)
    return
  }
  const hostLine = `Host: ${m.host.includes(':') ? `[${m.host}]` : m.host}:${m.port}\r\n`
  const auth =
    m.authorization !== null && !/\r\nauthorization:/i.test(lines) ? `Authorization: ${m.authorization}\r\n` : ''
  const up = cluster.ssl
    ? tlsConnect({ host: m.host, port: m.port, servername: m.host })
    : tcpConnect({ host: m.host, port: m.port })
  m.inflight++
  // 0 connecting, 1 piping, 2 over (the member's load is counted out exactly once).
  let state = 0
  const over = () => {
    if (state === 2) return
    state = 2
    m.inflight--
    up.destroy()
    client.destroy()
  }
  const onConnectError = (err: Error & { code?: string }) => {
    if (state !== 0) return
    state = 2
    m.inflight--
    up.destroy()
    if (CONNECT_ERRORS.has(err.code ?? '')) {
      m.markDown(`${err.code}: ${err.message}`)
      tunnel(cluster, lines, head, client, [...(tried ?? []), m])
    } else refuseUpgrade(client, `@${cluster.name}: ${err.code ?? err.message}`)
  }
  up.once('error', onConnectError)
  up.once(cluster.ssl ? 'secureConnect' : 'connect', () => {
    if (state !== 0) return
    state = 1
    up.removeListener('error', onConnectError)
    up.write(`${lines}${hostLine}${auth}\r\n`)
    if (head.length > 0) up.write(head)
    up.pipe(client)
    client.pipe(up)
    up.on('error', over)
    up.on('close', over)
  })
  // The client leaving (also while the member is still connecting) ends both sides.
  client.on('error', over)
  client.once('close', over)
}

function refuseUpgrade(socket: Duplex, detail: string): void {
  const body = `502 Bad Gateway: ${detail}\n`
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  } else socket.destroy()
}
