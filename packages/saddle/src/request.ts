import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { RequestContext } from '@skitai/engine'
import { type BodyCallback, collectBody, readBody } from '@skitai/engine'
import { HttpError, parseJsonSafely } from '@skitai/was'
import { mergeArgs, parseForm, parseQuery } from './args.js'
import { parseMultipart, type UploadedFile } from './upload.js'
import type { WasScope } from './contract.js'

/**
 * `was.request` (README "`was` in a handler"): the Node request plus lazily computed views of it. Nothing is parsed until
 * asked for; the body is read once and shared by `body()`, `json()`, `form()` and argument binding.
 */
export class SaddleRequest {
  /** The Node request. */
  readonly raw: IncomingMessage
  /** Upper-case method. */
  readonly method: string
  /** The URL as received (mount point included), e.g. `/v1/hello?x=1`. */
  readonly uri: string
  private readonly _was: WasScope
  private readonly _ctx: RequestContext
  /** merged arguments, set for an RPC call or computed on first read */
  #args: Record<string, unknown> | null
  private _query: Record<string, unknown> | null
  private _body: Promise<Buffer> | null
  /** The body (or why it could not be read) when the pipeline collected it itself (`collectBodyThen`). */
  private _bodyBuf: Buffer | null
  private _bodyErr: Error | null
  private _json: Promise<unknown> | null
  private _form: Promise<Record<string, unknown>> | null
  /** the parsed body as an args source, once loaded */
  #bodyArgs: Record<string, unknown> | null
  /** whether the body was loaded as an args source (`#bodyArgs` is final) */
  #bodyLoaded: boolean
  /** Claims of a verified bearer JWT (route or app `authenticate: 'bearer'`), else null. */
  jwt: Record<string, any> | null

  constructor(was: WasScope, req: IncomingMessage, ctx: RequestContext) {
    this._was = was
    this._ctx = ctx
    this.raw = req
    this.method = req.method ?? 'GET'
    this.uri = req.url ?? '/'
    this.#args = null
    this._query = null
    this._body = null
    this._bodyBuf = null
    this._bodyErr = null
    this._json = null
    this._form = null
    this.#bodyArgs = null
    this.#bodyLoaded = false
    this.jwt = null
  }

  /** @internal the arguments, if `args` was read or an RPC call gave them, else null (nothing is merged) */
  get argsIfMerged(): Record<string, unknown> | null {
    return this.#args
  }

  /** @internal the body's arguments once loaded (null: not loaded, or the body gives none) */
  get bodyArgs(): Record<string, unknown> | null {
    return this.#bodyArgs
  }

  /** @internal whether the body was loaded as an arguments source (`bodyArgs` is final) */
  get bodyArgsLoaded(): boolean {
    return this.#bodyLoaded
  }

  /** @internal an RPC call's values are the arguments, and its body (the CSRF check reads the token there) */
  takeCallArguments(named: Record<string, unknown>): void {
    this.#args = named
    this.#bodyArgs = named
  }

  get version(): string {
    return this.raw.httpVersion
  }

  /** The path (mount point included), not decoded, without the query string. */
  get path(): string {
    return this._ctx.mountPoint + (this._ctx.path === '' ? '' : this._ctx.path)
  }

  /** The parsed query string (type prefixes applied, repeated keys → arrays). */
  get query(): Record<string, unknown> {
    return (this._query ??= this._ctx.search === '' ? Object.create(null) : parseQuery(this._ctx.search))
  }

  /** The raw query string without '?'. */
  get search(): string {
    return this._ctx.search
  }

  get headers(): IncomingMessage['headers'] {
    return this.raw.headers
  }

  /** A header by name, case-insensitive; repeated headers are joined as Node joins them. */
  getHeader(name: string): string | undefined {
    const v = this.raw.headers[name.toLowerCase()]
    return Array.isArray(v) ? v.join(', ') : v
  }

  /** The media type of the body, lower case without parameters, or null. */
  get contentType(): string | null {
    const ct = this.raw.headers['content-type']
    if (ct === undefined) return null
    const semi = ct.indexOf(';')
    return (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase()
  }

  /**
   * Merged request arguments (URL variables, query, and the body once it was loaded for a route that
   * takes input), plus the defaults of parameters that got no value. Null-prototype object.
   */
  get args(): Record<string, unknown> {
    if (this.#args !== null) return this.#args
    const args = mergeArgs(this._was.routeParams, this._ctx.search === '' ? null : this.query, this.#bodyArgs)
    const route = this._was.route
    if (route !== null) {
      const defaults = route.builder.defaults
      for (const k in defaults) if (!(k in args)) args[k] = defaults[k]
    }
    return (this.#args = args)
  }

  get scheme(): 'http' | 'https' {
    if ((this.raw.socket as TLSSocket).encrypted) return 'https'
    if (this._fromTrustedProxy()) {
      const p = this.getHeader('x-forwarded-proto')
      if (p !== undefined && p.split(',')[0]!.trim().toLowerCase() === 'https') return 'https'
    }
    return 'http'
  }

  /** The user authenticated by the auth layer (also written to the access log). */
  get user(): string | null {
    return this._ctx.user
  }

  set user(name: string | null) {
    ;(this._ctx as { user: string | null }).user = name
  }

  /**
   * The client address: the peer, or — when the peer is a trusted proxy (`app.config.trustedProxies`) —
   * the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
   */
  getRemoteAddr(): string {
    const peer = normalizeIp(this.raw.socket.remoteAddress ?? '')
    if (!this._fromTrustedProxy()) return peer
    const chain = this._forwardedChain()
    const trusted = this._was.app.config.trustedProxies
    for (let i = chain.length - 1; i >= 0; i--) {
      if (!trusted.includes(chain[i]!)) return chain[i]!
    }
    return chain.length > 0 ? chain[0]! : peer
  }

  /** The first public address in the forwarded chain (behind trusted proxies), else `getRemoteAddr()`. */
  getRealIp(): string {
    if (this._fromTrustedProxy()) {
      for (const ip of this._forwardedChain()) if (!isPrivateAddress(ip)) return ip
    }
    return this.getRemoteAddr()
  }

  /** Whether `ip` (default: `getRealIp()`) is loopback, private, link-local or unique-local. */
  isPrivateIp(ip?: string): boolean {
    return isPrivateAddress(ip ?? this.getRealIp())
  }

  getUserAgent(): string | undefined {
    return this.raw.headers['user-agent']
  }

  /** The raw body, read once within `app.config.maxPostBodySize` (and the engine's limit). */
  body(): Promise<Buffer> {
    if (this._body === null) {
      if (this._bodyBuf !== null) this._body = Promise.resolve(this._bodyBuf)
      else if (this._bodyErr !== null) this._body = Promise.reject(this._bodyErr)
      else this._body = readBody(this.raw, this._limit(this._was.app.config.maxPostBodySize))
    }
    return this._body
  }

  /**
   * @internal The pipeline's own read of the body, without a promise: `done(was, error, body)` once it
   * is in (possibly at once). `done` hands the outcome to `collected` so `body()` answers with it.
   */
  collectBodyThen<W>(was: W, done: BodyCallback<W>): void {
    collectBody(this.raw, this._limit(this._was.app.config.maxPostBodySize), was, done)
  }

  /** @internal the body is empty: no arguments from it (`json()` still says it is not JSON) */
  noBodyArgs(): void {
    this.#bodyArgs = null
    this.#bodyLoaded = true
  }

  /** @internal whether `collectBodyThen` has handed the body (or why it could not be read) over */
  get bodyCollected(): boolean {
    return this._bodyBuf !== null || this._bodyErr !== null
  }

  /** @internal the outcome of `collectBodyThen` */
  collected(error: Error | null, body: Buffer | null): void {
    this._bodyBuf = body
    this._bodyErr = error
  }

  /** The body parsed as JSON (prototype-poisoning keys refused); invalid JSON → 400. */
  json(): Promise<unknown> {
    return (this._json ??= this.body().then(parseJsonBody))
  }

  /**
   * The body as form fields: urlencoded, or multipart (files as `UploadedFile`, streamed to temporary
   * files under `maxMultipartBodySize` / `maxUploadFileSize`). Another media type → 415.
   */
  form(): Promise<Record<string, unknown>> {
    if (this._form !== null) return this._form
    const type = this.contentType
    if (type === 'multipart/form-data') {
      const cfg = this._was.app.config
      this._form = parseMultipart(this.raw, {
        maxBodySize: this._limit(cfg.maxMultipartBodySize),
        maxFileSize: cfg.maxUploadFileSize,
        tempDir: cfg.uploadTempDir,
        files: this._was.uploadList(),
      })
    } else if (type === 'application/x-www-form-urlencoded' || type === null) {
      // UTF-8, as browsers send it: raw bytes and percent-escapes (querystring decodes those as UTF-8) agree.
      this._form = this.body().then((b) => (b.length === 0 ? Object.create(null) : parseForm(b.toString('utf8'))))
    } else {
      this._form = Promise.reject(new HttpError(415, `a form body must be urlencoded or multipart, not ${type}`))
    }
    return this._form
  }

  /** Uploaded files of a multipart body (after `form()` or argument binding), by field name. */
  files(): Record<string, UploadedFile | UploadedFile[]> {
    const out: Record<string, UploadedFile | UploadedFile[]> = Object.create(null)
    for (const f of this._was.uploads) {
      const old = out[f.field]
      out[f.field] = old === undefined ? f : Array.isArray(old) ? [...old, f] : [old, f]
    }
    return out
  }

  /**
   * @internal Loads the body as an arguments source by media type: JSON object, urlencoded or multipart.
   * A JSON body that is not an object → 400. Bodiless requests give null.
   */
  async loadBodyArgs(): Promise<Record<string, unknown> | null> {
    if (this.#bodyLoaded) return this.#bodyArgs
    const h = this.raw.headers
    if (h['content-length'] === undefined && h['transfer-encoding'] === undefined) return null
    if (h['content-length'] === '0') return null
    const type = this.contentType
    let out: Record<string, unknown> | null
    if (type === 'application/json' || type?.endsWith('+json')) {
      const v = await this.json()
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        throw new HttpError(400, 'a JSON body must be an object whose members are the arguments')
      }
      out = v as Record<string, unknown>
    } else if (type === 'multipart/form-data' || type === 'application/x-www-form-urlencoded' || type === null) {
      out = await this.form()
    } else {
      // Other media types (text/plain, octet-stream…) are not arguments; the handler reads them itself.
      out = null
    }
    this.#bodyArgs = out
    this.#bodyLoaded = true
    this.#args = null
    return out
  }

  /**
   * @internal The pipeline read and parsed a JSON body itself (to tell JSON-RPC from a plain JSON post):
   * `json()` answers with it, and an object becomes the arguments source without another pass.
   */
  tookJson(value: unknown, asArgs: boolean): void {
    this._json = Promise.resolve(value)
    if (asArgs && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      this.#bodyArgs = value as Record<string, unknown>
      this.#bodyLoaded = true
      this.#args = null
    }
  }

  private _limit(appLimit: number): number {
    return Math.min(appLimit, this._ctx.maxBodySize)
  }

  private _fromTrustedProxy(): boolean {
    const trusted = this._was.app.config.trustedProxies
    return trusted.length !== 0 && trusted.includes(normalizeIp(this.raw.socket.remoteAddress ?? ''))
  }

  private _forwardedChain(): string[] {
    const xff = this.getHeader('x-forwarded-for')
    if (xff === undefined) return []
    return xff
      .split(',')
      .map((s) => normalizeIp(s.trim()))
      .filter((s) => isIP(s) !== 0)
  }
}

/** A request body as JSON; bad JSON or a forbidden member → HttpError 400. */
export function parseJsonBody(buf: Buffer): unknown {
  try {
    return parseJsonSafely(buf.toString('utf8'))
  } catch (e) {
    throw new HttpError(400, 'malformed JSON body', { detail: (e as Error).message })
  }
}

/** `::ffff:127.0.0.1` → `127.0.0.1` so one list of trusted proxies covers both socket families. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip
}

export function isPrivateAddress(ip: string): boolean {
  ip = normalizeIp(ip)
  const v = isIP(ip)
  if (v === 4) {
    const [a, b] = ip.split('.').map(Number) as [number, number]
    return (
      a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254)
    )
  }
  if (v === 6) {
    const lower = ip.toLowerCase()
    return lower === '::1' || lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80')
  }
  return false
}
