/**
 * Static directories (README "Static files"): `skitai.mount('/static', './static')`.
 *
 * File serving itself (ETag, Last-Modified, 304/412, Range/If-Range/206/416, HEAD, MIME types from
 * mime-types) is `send` v1. Around it this file adds what the engine needs:
 * - unsafe paths are answered at once (400/403, see static-path.ts) and never reach an app;
 * - absent files call `next()` so an app mounted at the same point handles the path;
 * - containment after symlinks: a path's real path must lie inside the real root;
 * - a short-lived positive cache of checked paths (static-path-cache.ts), so a hot file skips the check;
 * - index files and the directory → trailing-slash redirect, relative to the full URL;
 * - per-prefix max-age (static-maxage.ts) as `Cache-Control: max-age=N` and `Expires`.
 */
import { realpathSync, statSync } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join, resolve, sep } from 'node:path'
import type send from 'send'
import type { CompressionSettings } from './compression.js'
import { mimeTypesLib, sendLib } from './lazy-server-libs.js'
import type { MaxAgeTable } from './static-maxage.js'
import { DOTFILE, decodeStaticPath, hasDotSegment } from './static-path.js'
import { StaticPathCache, type StaticPathCacheOptions } from './static-path-cache.js'

export interface StaticHandler {
  /**
   * path: the raw (not decoded) URL path after the mount point, starting with '/' ('' at a bare mount
   * point). Calls next() when no file exists there, so an app mounted at the same point can handle
   * the request.
   */
  serve(req: IncomingMessage, res: ServerResponse, path: string, next: () => void): void
}

export interface StaticOptions {
  maxAge: MaxAgeTable
  /** The engine's compression settings now (null: off); precompressed `.br`/`.gz` siblings are served only when on. */
  compression?: () => CompressionSettings | null
  /** The checked-path cache (default: 1 s, 1024 paths; `{ ttlMs: 0 }` turns it off). */
  pathCache?: StaticPathCacheOptions
}

/** Index files tried, in order, for a path ending in '/'. */
export const INDEX_FILES: readonly string[] = ['index.html', 'index.htm']

/** Throws at mount time when `root` does not exist or is not a directory. */
export function createStaticHandler(root: string, options: StaticOptions): StaticHandler {
  return new StaticDirectory(root, options)
}

const NEXT = Symbol('skitai.static.next')
type PendingSend = send.SendStream & { [NEXT]: () => void; req: IncomingMessage; res: ServerResponse; path: string }

/** Result of locating a decoded path on disk. */
const ABSENT = 0
const INSIDE = 1
const OUTSIDE = 2
const DENIED = 3
type Located = typeof ABSENT | typeof INSIDE | typeof OUTSIDE | typeof DENIED

/** Headers `send` may have set before it reports an error; removed so the error answer is clean. */
const SEND_HEADERS = [
  'Accept-Ranges',
  'Cache-Control',
  'Expires',
  'ETag',
  'Last-Modified',
  'Content-Type',
  'Content-Length',
  'Content-Range',
  'Content-Encoding',
] as const

const SEND_ERROR_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Bad Request: the URL path cannot be decoded',
  403: 'Forbidden: this path is not served',
  412: 'Precondition Failed: If-Match / If-Unmodified-Since does not hold for this file',
  416: 'Range Not Satisfiable: the requested range lies outside the file',
  500: 'Internal Server Error: the file could not be read',
}

const LEADING_SLASHES = /^\/{2,}/

class StaticDirectory implements StaticHandler {
  /** The root with symlinks resolved; every served file's real path lies below it. */
  readonly root: string
  private readonly rootPrefix: string
  private readonly maxAge: MaxAgeTable
  private readonly checked: StaticPathCache
  /** Precompressed siblings found for a file path: 'b' (`.br`), 'g' (`.gz`), 'bg', or '' (none). */
  private readonly siblings: StaticPathCache
  private readonly compression: () => CompressionSettings | null
  /** Checks under way, by decoded path: when a cache entry expires under load, one realpath serves all. */
  private readonly pending = new Map<string, Promise<Located>>()
  private readonly sendOptions: send.SendOptions
  // Bound once per mount: send calls them with `this` = the SendStream.
  private readonly onHeaders: (this: PendingSend) => void
  private readonly onDirectory: (this: PendingSend) => void
  private readonly onError: (this: PendingSend, err: { status?: number; headers?: Record<string, string> }) => void

  constructor(root: string, options: StaticOptions) {
    const resolved = resolve(root)
    let info: ReturnType<typeof statSync>
    try {
      info = statSync(resolved)
    } catch (err) {
      throw new Error(
        `static mount: directory '${root}' (resolved to '${resolved}') does not exist or cannot be read: ${(err as Error).message}`,
      )
    }
    if (!info.isDirectory()) {
      throw new Error(`static mount: '${root}' (resolved to '${resolved}') is not a directory`)
    }
    this.root = realpathSync.native(resolved)
    this.rootPrefix = this.root.endsWith(sep) ? this.root : this.root + sep
    this.maxAge = options.maxAge
    this.checked = new StaticPathCache(options.pathCache)
    this.siblings = new StaticPathCache(options.pathCache)
    this.compression = options.compression ?? (() => null)
    this.sendOptions = {
      root: this.root,
      index: false, // index files are resolved here, with the symlink containment check
      dotfiles: 'ignore', // second line of defence; decodeStaticPath already sorted dotfiles out
      cacheControl: false, // Cache-Control/Expires come from the MaxAgeTable in onHeaders
      etag: true,
      lastModified: true,
      acceptRanges: true,
    }
    const maxAge = this.maxAge
    this.onHeaders = function (this: PendingSend) {
      const res = this.res
      const seconds = maxAge.lookup(fullPath(this.req))
      if (seconds === undefined) return
      res.setHeader('Cache-Control', `max-age=${seconds}`)
      res.setHeader('Expires', new Date(Date.now() + seconds * 1000).toUTCString())
    }
    const self = this
    this.onDirectory = function (this: PendingSend) {
      // redirectDirectory catches what it can fail at itself (locate never throws, setHeader is guarded)
      void self.redirectDirectory(this.req, this.res, this.path, this[NEXT])
    }
    this.onError = function (this: PendingSend, err) {
      const res = this.res
      if (res.headersSent) {
        res.destroy() // the body was under way: cut it rather than send a corrupt file
        return
      }
      const status = err.status ?? 500
      // 404 here means the file vanished between our lookup and send's stat: treat as absent.
      if (status === 404) {
        res.removeHeader('Content-Encoding')
        return this[NEXT]()
      }
      writeText(this.req, res, status, SEND_ERROR_MESSAGES[status] ?? `Error ${status}`, err.headers)
    }
  }

  serve(req: IncomingMessage, res: ServerResponse, path: string, next: () => void): void {
    const q = path.indexOf('?')
    if (q !== -1) path = path.slice(0, q)
    const decoded = decodeStaticPath(path)
    if (decoded === DOTFILE) {
      next()
      return
    }
    if (typeof decoded !== 'string') {
      writeText(req, res, decoded.status, decoded.message)
      return
    }
    const method = req.method
    if (method === 'GET' || method === 'HEAD') {
      // Hot path: checked a moment ago (within the cache's ttl) → straight to send, no fs call, no promise.
      const suffix = this.checked.get(decoded)
      if (suffix !== undefined) this.send(req, res, path + suffix, decoded + suffix, next)
      else void this.serveFile(req, res, path, decoded, next)
    } else void this.refuseMethod(req, res, decoded, next)
  }

  /** `file`: the decoded path of the file sent (index file included), for its precompressed siblings. */
  private send(req: IncomingMessage, res: ServerResponse, sendPath: string, file: string, next: () => void): void {
    const c = this.compression()
    if (c !== null) {
      const siblings = this.siblings.get(file)
      if (siblings === undefined) {
        void this.findSiblings(file).then(
          () => !res.destroyed && this.send(req, res, sendPath, file, next),
          () => writeText(req, res, 500, SEND_ERROR_MESSAGES[500]!),
        )
        return
      }
      if (siblings !== '') sendPath = precompressed(req, res, c, siblings, sendPath, file)
    }
    const stream = sendLib()(req, sendPath, this.sendOptions) as PendingSend
    stream[NEXT] = next
    stream.on('headers', this.onHeaders)
    stream.on('directory', this.onDirectory)
    stream.on('error', this.onError)
    stream.pipe(res)
  }

  private async serveFile(
    req: IncomingMessage,
    res: ServerResponse,
    raw: string,
    decoded: string,
    next: () => void,
  ): Promise<void> {
    try {
      let sendPath = raw
      if (decoded === '') {
        // The bare mount point ('/static'): its directory, so redirect to '/static/' when it has an index.
        return await this.redirectDirectory(req, res, raw, next)
      }
      if (decoded.charCodeAt(decoded.length - 1) === 47 /* '/' */) {
        const index = await this.findIndex(decoded)
        if (index === null) return next()
        if (index === OUTSIDE) return refuseOutside(req, res)
        this.checked.set(decoded, index)
        sendPath = raw + index
      } else {
        const located = await this.locate(decoded)
        if (located === ABSENT) return next()
        if (located === OUTSIDE) return refuseOutside(req, res)
        if (located === DENIED) return writeText(req, res, 403, 'Forbidden: the file is not readable')
        this.checked.set(decoded, '')
      }
      if (res.destroyed) return // the client left while we looked
      this.send(req, res, sendPath, decoded + sendPath.slice(raw.length), next)
    } catch {
      if (res.headersSent) res.destroy()
      else writeText(req, res, 500, SEND_ERROR_MESSAGES[500]!)
    }
  }

  /** Looks for `file.br` and `file.gz` inside the root and remembers what is there (as long as checked paths). */
  private async findSiblings(file: string): Promise<void> {
    const br = (await this.locate(`${file}.br`)) === INSIDE ? 'b' : ''
    const gz = (await this.locate(`${file}.gz`)) === INSIDE ? 'g' : ''
    this.siblings.set(file, br + gz)
  }

  /** Any method but GET/HEAD: 405 when a regular file is there, otherwise the path is the app's. */
  private async refuseMethod(
    req: IncomingMessage,
    res: ServerResponse,
    decoded: string,
    next: () => void,
  ): Promise<void> {
    try {
      const file = join(this.root, decoded)
      const located = await this.locate(decoded)
      if (located === ABSENT) return next()
      if (located === OUTSIDE) return refuseOutside(req, res)
      // A directory (even one whose index file leads out) is the app's: nothing is served from it.
      if (decoded === '' || decoded.charCodeAt(decoded.length - 1) === 47) return next()
      if (located === DENIED || (await stat(file)).isFile()) {
        res.setHeader('Allow', 'GET, HEAD')
        return writeText(req, res, 405, `Method Not Allowed: static files answer GET and HEAD, not ${req.method}`)
      }
      next()
    } catch {
      writeText(req, res, 500, SEND_ERROR_MESSAGES[500]!)
    }
  }

  /** A directory requested without its trailing slash: 301 to the slash when it has an index file. */
  private async redirectDirectory(
    req: IncomingMessage,
    res: ServerResponse,
    raw: string,
    next: () => void,
  ): Promise<void> {
    const decoded = decodeStaticPath(raw)
    if (typeof decoded !== 'string') return next()
    const index = await this.findIndex(`${decoded}/`)
    if (index === null) return next()
    if (index === OUTSIDE) return refuseOutside(req, res)
    const url = originalUrl(req)
    const q = url.indexOf('?')
    const path = (q === -1 ? url : url.slice(0, q)).replace(LEADING_SLASHES, '/') // no '//host' redirects
    const location = q === -1 ? `${path}/` : `${path}/${url.slice(q)}`
    try {
      res.setHeader('Location', location)
    } catch {
      // a request target with bytes a header cannot carry: answer without redirecting
      return writeText(req, res, 400, 'Bad Request: the URL cannot be used in a redirect')
    }
    writeText(req, res, 301, `Moved Permanently: ${location}`)
  }

  /** First index file of a directory path (decoded, ending in '/'), OUTSIDE if it leads out, or null. */
  private async findIndex(dir: string): Promise<string | typeof OUTSIDE | null> {
    for (let i = 0; i < INDEX_FILES.length; i++) {
      const name = INDEX_FILES[i]!
      const located = await this.locate(dir + name)
      if (located === INSIDE) return name
      if (located === OUTSIDE) return OUTSIDE
    }
    return null
  }

  /**
   * Is the decoded URL path (below the root) there, and does it stay inside the root? One native
   * realpath (realpath(3) in the thread pool: one promise, not one per segment) of the full candidate;
   * its result must lie below the real root. Without symlinks the real path is the candidate itself, so
   * this refuses and admits exactly what a per-segment lstat walk did. A real path with a dot segment (a
   * link to a dotfile) counts as absent. There is a window between this check and send's open() (made
   * up to the cache ttl longer by static-path-cache.ts); closing it would need openat2(RESOLVE_BENEATH),
   * which Node does not offer, and only someone who can already write inside the root could use it.
   */
  private locate(path: string): Promise<Located> {
    let check = this.pending.get(path)
    if (check === undefined) {
      check = this.locateNow(path)
      this.pending.set(path, check)
      void check.finally(() => this.pending.delete(path))
    }
    return check
  }

  private async locateNow(path: string): Promise<Located> {
    let real: string
    try {
      real = await realpath(join(this.root, path))
    } catch (err) {
      return missing(err)
    }
    if (real === this.root) return INSIDE
    if (!real.startsWith(this.rootPrefix)) return OUTSIDE
    return hasDotSegment(real.slice(this.rootPrefix.length), sep) ? ABSENT : INSIDE
  }
}

/**
 * A file with precompressed siblings: `Vary: Accept-Encoding`, and when the request accepts one (and asks
 * for no Range, which would count bytes of the file itself) the sibling's path with the file's own
 * Content-Type and a Content-Encoding.
 */
function precompressed(
  req: IncomingMessage,
  res: ServerResponse,
  c: CompressionSettings,
  siblings: string,
  sendPath: string,
  file: string,
): string {
  res.setHeader('Vary', 'Accept-Encoding')
  const accept = req.headers['accept-encoding']
  if (accept === undefined || req.headers.range !== undefined) return sendPath
  const encoding = c.negotiateAmong(accept, siblings)
  if (encoding === null) return sendPath
  const name = file.slice(file.lastIndexOf('/') + 1)
  res.setHeader('Content-Type', mimeTypesLib().contentType(name) || 'application/octet-stream')
  res.setHeader('Content-Encoding', encoding)
  return encoding === 'br' ? `${sendPath}.br` : `${sendPath}.gz`
}

function missing(err: unknown): Located {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'EACCES' || code === 'EPERM' ? DENIED : ABSENT // ENOENT, ENOTDIR, ENAMETOOLONG, ELOOP
}

function refuseOutside(req: IncomingMessage, res: ServerResponse): void {
  writeText(req, res, 403, 'Forbidden: the file lies outside the static root')
}

function originalUrl(req: IncomingMessage): string {
  return (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/'
}

/** The full URL path (mount point included, no query) for max-age lookup. */
function fullPath(req: IncomingMessage): string {
  const url = originalUrl(req)
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/** A short plain-text answer naming the problem; no body for HEAD. */
function writeText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  headers?: Record<string, string>,
): void {
  for (let i = 0; i < SEND_HEADERS.length; i++) res.removeHeader(SEND_HEADERS[i]!)
  if (headers !== undefined) for (const name in headers) res.setHeader(name, headers[name]!)
  const body = `${status} ${message}\n`
  res.statusCode = status
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  res.setHeader('Content-Length', Buffer.byteLength(body))
  res.setHeader('X-Content-Type-Options', 'nosniff')
  if (req.method === 'HEAD') res.end()
  else res.end(body)
}
