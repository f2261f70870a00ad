import { defaultReason, HttpError } from '@skitai/was'
import { evaluateConditional } from '@skitai/engine'
import { EarlyResponse } from './early-response.js'
import type { WasScope } from './contract.js'

export type HeaderValue = string | string[]

/** Returned by `was.response.file(...)`: the writer streams the file. */
export class FileResult {
  constructor(
    readonly path: string,
    readonly mimetype: string | null,
    readonly filename: string | null,
  ) {}
}

/** Returned by `was.response.redirect(...)`. */
export class RedirectResult {
  constructor(
    readonly location: string,
    readonly status: number,
  ) {}
}

/**
 * `was.response`: status and headers of the answer being built. Headers are kept in one null-prototype
 * object with lower-case names and written with a single `writeHead` (README "The app").
 */
export class SaddleResponse {
  #status: number
  #reason: string | null
  /** Whether a hook/handler chose the status (a failed hook's answer then keeps it). */
  #statusSet: boolean
  /**
   * @internal The headers to write, lower-case names. The writer (writer.ts) completes them with
   * Content-Type and Content-Length and hands them to `writeHead` as they are, without a copy.
   */
  readonly headerMap: Record<string, HeaderValue>
  private readonly _was: WasScope

  constructor(was: WasScope) {
    this._was = was
    this.#status = 200
    this.#reason = null
    this.#statusSet = false
    this.headerMap = Object.create(null)
  }

  /** The status chosen so far (200 by default). */
  get statusCode(): number {
    return this.#status
  }

  /** @internal the reason phrase given with `status(code, reason)`, else null (the standard one). */
  get reason(): string | null {
    return this.#reason
  }

  /** @internal whether a hook or the handler chose the status. */
  get statusChosen(): boolean {
    return this.#statusSet
  }

  /** @internal back to the default 200, as no one had chosen a status (each call of an RPC batch). */
  resetStatus(): void {
    this.#status = 200
    this.#reason = null
    this.#statusSet = false
  }

  /**
   * @internal A custom error page is about to be built: the error's status (not chosen, so the page's
   * handler may choose another) and only the headers the error path keeps.
   */
  restartAsErrorPage(status: number, headers: Record<string, HeaderValue>): void {
    for (const k in this.headerMap) delete this.headerMap[k]
    Object.assign(this.headerMap, headers)
    this.resetStatus()
    this.#status = status
  }

  /** Sets the status; custom codes and reasons (`210 Streaming`, `488 Not My Fault`) are allowed. */
  status(code: number, reason?: string): this {
    if (!Number.isInteger(code) || code < 100 || code > 999) throw new Error(`invalid HTTP status: ${code}`)
    if (reason !== undefined && /[\r\n]/.test(reason)) throw new Error('status reason must not contain line breaks')
    this.#status = code
    this.#reason = reason ?? null
    this.#statusSet = true
    return this
  }

  /** Sets (replaces) a header. */
  setHeader(name: string, value: string | number | string[]): this {
    this.headerMap[name.toLowerCase()] = Array.isArray(value) ? value : String(value)
    return this
  }

  /** Adds a value to a header (a second `Set-Cookie`, `Vary`, …). */
  appendHeader(name: string, value: string | number): this {
    const key = name.toLowerCase()
    const old = this.headerMap[key]
    if (old === undefined) this.headerMap[key] = String(value)
    else if (Array.isArray(old)) old.push(String(value))
    else this.headerMap[key] = [old, String(value)]
    return this
  }

  getHeader(name: string): HeaderValue | undefined {
    return this.headerMap[name.toLowerCase()]
  }

  deleteHeader(name: string): this {
    delete this.headerMap[name.toLowerCase()]
    return this
  }

  /** `Cache-Control: max-age=N` and `Expires`; 0 → `no-cache`. */
  setCache(maxAge: number): this {
    if (maxAge > 0) {
      this.headerMap['cache-control'] = `max-age=${Math.floor(maxAge)}`
      this.headerMap['expires'] = new Date(Date.now() + maxAge * 1000).toUTCString()
    } else {
      this.headerMap['cache-control'] = 'no-cache'
    }
    return this
  }

  /**
   * Sets `ETag` and answers a conditional request now: a matching `If-None-Match` → 304 (412 for
   * unsafe methods), a failing `If-Match` → 412; the handler does not run further.
   */
  setEtag(id: string, maxAge?: number): void {
    const etag = quoteEtag(id)
    this.headerMap['etag'] = etag
    if (maxAge !== undefined) this.setCache(maxAge)
    this._conditional(etag, null)
  }

  /** Sets `Last-Modified` from epoch seconds and answers `If-Modified-Since`/`If-Unmodified-Since` now. */
  setMtime(epochSeconds: number, maxAge?: number): void {
    this.headerMap['last-modified'] = new Date(Math.floor(epochSeconds) * 1000).toUTCString()
    if (maxAge !== undefined) this.setCache(maxAge)
    const etag = this.headerMap['etag']
    this._conditional(typeof etag === 'string' ? etag : null, Math.floor(epochSeconds))
  }

  private _conditional(etag: string | null, mtime: number | null): void {
    const code = evaluateConditional(this._was.nodeRequest, etag ?? undefined, mtime ?? undefined)
    if (code !== 200) throw new EarlyResponse(code)
  }

  /**
   * Sends `103 Early Hints` now with these `Link` values (README "Early hints"), e.g.
   * `['</style.css>; rel=preload; as=style']`, over HTTP/1.1 and h2, so a browser starts fetching them
   * while the handler works. Skipped for HTTP/1.0 clients (no 1xx there) and once the answer has started.
   */
  earlyHints(links: string | readonly string[]): this {
    const list = typeof links === 'string' ? [links] : [...links]
    for (const l of list) {
      if (typeof l !== 'string' || /[\r\n]/.test(l))
        throw new HttpError(500, 'earlyHints: each link must be a string without line breaks')
    }
    const req = this._was.nodeRequest
    const res = this._was.nodeResponse
    if (list.length === 0 || res.headersSent || (req.httpVersionMajor === 1 && req.httpVersionMinor === 0)) return this
    res.writeEarlyHints({ link: list })
    return this
  }

  /** Aborts the request now with `code`; failed and teardown hooks run. `why` becomes the error detail. */
  throw(code: number, why?: string): never {
    throw new HttpError(code, defaultReason(code), why === undefined ? undefined : { detail: why })
  }

  /** A file answer, streamed; `Content-Disposition: attachment` when a filename is given. */
  file(path: string, mimetype?: string, filename?: string): FileResult {
    return new FileResult(path, mimetype ?? null, filename ?? null)
  }

  redirect(url: string, code = 302): RedirectResult {
    if (/[\r\n]/.test(url)) throw new HttpError(500, 'redirect location must not contain line breaks')
    // Header values are bytes: percent-encode what is not ASCII (`/café` → `/caf%C3%A9`).
    return new RedirectResult(url.replace(/[^\x00-\x7f]+/g, encodeURIComponent), code)
  }

  /** @internal a failed hook answered: keep the error's status unless the hook chose one. */
  adoptErrorStatus(e: unknown): void {
    if (this.#statusSet) return
    this.#status = e instanceof HttpError ? e.status : 500
    this.#reason = null
  }
}

/** `"abc"` from `abc`, keeping `W/"…"` and already quoted tags. */
function quoteEtag(id: string): string {
  return id.startsWith('"') || id.startsWith('W/"') ? id : `"${id.replace(/"/g, '')}"`
}
