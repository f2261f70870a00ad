/**
 * A short-lived positive cache for the static handler: "this decoded URL path was checked a moment ago,
 * it exists and its real path lies inside the root; send it as <raw path + suffix>". A hot file then costs
 * one lookup instead of a realpath per request (profiling showed the per-request symlink check costing
 * 35–50 % more CPU than `send` alone).
 *
 * Security: only INSIDE results are cached, never refusals or absences, and an entry is trusted for at
 * most `ttlMs` after the check. So if a cached file is replaced by a symlink leading out of the root, that
 * link can be followed by `send` for at most `ttlMs` (default 1 s); after that the path is checked again
 * and refused. This widens the check-then-open window that exists anyway (see static.ts `locate`), and,
 * like it, can only be used by someone who can already write inside the root.
 *
 * lru-cache (already used by @skitai/was) gives the bounded size and per-entry expiry.
 */
import { LRUCache } from 'lru-cache'

/** Default time an entry is trusted, in milliseconds. */
export const STATIC_PATH_CACHE_TTL_MS = 1000
/** Default number of paths remembered per mount (least recently used ones go first). */
export const STATIC_PATH_CACHE_MAX = 1024

export interface StaticPathCacheOptions {
  /** How long a checked path is trusted, ms; 0 turns the cache off. Default 1000. */
  ttlMs?: number
  /** How many paths are remembered. Default 1024. */
  max?: number
}

export class StaticPathCache {
  private readonly cache: LRUCache<string, string> | null

  constructor(options: StaticPathCacheOptions = {}) {
    const ttl = options.ttlMs ?? STATIC_PATH_CACHE_TTL_MS
    const max = options.max ?? STATIC_PATH_CACHE_MAX
    if (!Number.isFinite(ttl) || ttl < 0) {
      throw new TypeError(`static path cache: ttlMs must be a number >= 0, got ${String(options.ttlMs)}`)
    }
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError(`static path cache: max must be an integer >= 1, got ${String(options.max)}`)
    }
    // updateAgeOnGet stays false: a hot entry must still be re-checked once its ttl is over.
    this.cache = ttl === 0 ? null : new LRUCache<string, string>({ max, ttl, updateAgeOnGet: false, allowStale: false })
  }

  /** The suffix to append to the raw path ('' for a file, an index file name for a directory), or undefined. */
  get(decoded: string): string | undefined {
    return this.cache === null ? undefined : this.cache.get(decoded)
  }

  /** Remember that `decoded` was found inside the root, to be sent as raw path + `suffix`. */
  set(decoded: string, suffix: string): void {
    if (this.cache !== null) this.cache.set(decoded, suffix)
  }

  get size(): number {
    return this.cache === null ? 0 : this.cache.size
  }
}
