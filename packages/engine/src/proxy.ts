import type { IncomingMessage, ServerResponse } from 'node:http'
import { type Cluster, failoverAction, getAlias, HttpError, type Member, nextMember, pickMember } from '@skitai/was'
import type { RequestContext } from './contract.js'
import {
  aliasTarget,
  filterHeaders,
  forwardedFor,
  forwardedProto,
  memberPath,
  REQUEST_DROP,
  txnHeaders,
} from './proxy-headers.js'
import type { EngineRequestContext } from './request-context.js'

export { createAliasUpgrade } from './proxy-upgrade.js'

/**
 * `skitai.mount('/search', '@alias')` (or `'@alias/base/path'`): a load-balanced reverse proxy to the
 * alias's members (was README "Aliases"). Members are chosen as for `was.get.lb` (weight and load, members marked
 * down skipped and probed); a member that refuses the connection is marked down and the request goes to
 * another one — also with a body, because the body is only read once a member has accepted the request.
 * A dropped connection before the response is retried only for idempotent bodyless requests. Bodies
 * stream both ways with backpressure (undici pauses the upstream while the client's socket is full).
 * 502 when every member failed, 504 when the member did not answer within the alias's `timeout`.
 */
export function createAliasProxy(
  target: string,
): (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void {
  const { name, base } = aliasTarget(target)
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
    new ProxyExchange(req, res, ctx, cluster, memberPath(base, ctx)).start()
  }
}

const DEFAULT_TIMEOUT_MS = 30_000

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
    h['x-forwarded-for'] = forwardedFor(req)
    h['x-forwarded-proto'] = forwardedProto(req)
    const host = req.headers.host ?? (req.headers[':authority'] as string | undefined)
    if (host !== undefined) h['x-forwarded-host'] = host
    // Transaction ids go on: the caller's global id, and the next local id of this request.
    Object.assign(h, txnHeaders(ctx))
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
    const action =
      m === null || !before
        ? 'none'
        : failoverAction(code, this.req.method ?? 'GET', {
            afterConnectError: !this.bodyStarted,
            afterDrop: !this.bodyStarted && !this.hasBody,
          })
    if (action !== 'none') {
      m!.markDown(`${code}: ${err.message}`)
      if (action === 'retry-elsewhere') {
        this.release()
        const next = nextMember(this.cluster, (this.tried ??= []), m!)
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
