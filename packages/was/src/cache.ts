/**
 * The result cache (README "Caching"): results stored on request by `result.cache(ttl)` (any method, RPC
 * too — which undici's RFC 9111 cache cannot do), keyed by method, URL, body and alias, bounded by
 * `setMaxRcache` (LRU, default 100 entries).
 */
import { LRUCache } from 'lru-cache'

export interface CacheEntry<T> {
  readonly value: T
  /** Date.now() when stored; compared with `useCache: timestamp`. */
  readonly storedAt: number
}

let maxEntries = 100
let lru = new LRUCache<string, CacheEntry<object>>({ max: maxEntries, ttlAutopurge: false })
let hits = 0
let misses = 0

/** `skitai.setMaxRcache(300)`: bound the number of cached results (existing entries are kept up to n). */
export function setMaxRcache(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error('setMaxRcache: give a positive integer')
  maxEntries = n
  const next = new LRUCache<string, CacheEntry<object>>({ max: n, ttlAutopurge: false })
  // Oldest first so the most recently used stay.
  for (const [k, v] of [...lru.entries()].reverse()) {
    const ttl = lru.getRemainingTTL(k)
    if (ttl > 0) next.set(k, v, { ttl })
  }
  lru = next
}

export function cacheKey(
  method: string,
  url: string,
  body: string | null,
  alias: string | null,
  credentials = '',
): string {
  return `${method} ${url} ${alias ?? ''} ${credentials} ${body ?? ''}`
}

/** What a call's cache key is made of (a CallSpec is one). */
export interface KeySource {
  readonly method: string
  readonly url: string
  readonly body: unknown
  readonly replayable: boolean
  readonly cluster: { readonly cacheId: string } | null
  /** Outgoing headers (lower-case names): their Authorization and Cookie are part of the key. */
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * The cache key of a call (`map` for a `.map` call's set), or null when its body is a stream. Computed
 * only when a cache lookup or store needs it, so uncached calls never pay for it.
 */
export function keyOf(src: KeySource, map: boolean): string | null {
  const b = src.body
  let bodyKey: string
  if (b === null || b === undefined) bodyKey = ''
  else if (typeof b === 'string') bodyKey = b
  else if (!src.replayable) return null
  else if (Buffer.isBuffer(b)) bodyKey = b.toString('base64')
  else {
    const u = b as Uint8Array
    bodyKey = Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64')
  }
  // A reply fetched with one user's credentials must never be served to another user's call.
  const h = src.headers
  const credentials = h === undefined ? '' : `${h.authorization ?? ''}\u0000${h.cookie ?? ''}`
  return cacheKey(map ? `MAP ${src.method}` : src.method, src.url, bodyKey, src.cluster?.cacheId ?? null, credentials)
}

export function cacheSize(): number {
  return lru.size
}

export function cacheGet<T extends object>(key: string, notBefore: number): T | undefined {
  const e = lru.get(key)
  if (e === undefined || e.storedAt <= notBefore) {
    // stored before the model changed (setlu here or in another worker): drop it, it can never serve again
    // for this key's readers, and keeping it would only push live entries out of the LRU
    if (e !== undefined) lru.delete(key)
    misses++
    return undefined
  }
  hits++
  return e.value as T
}

export function cacheSet(key: string, value: object, ttlSeconds: number): void {
  if (!(ttlSeconds > 0)) return
  lru.set(key, { value, storedAt: Date.now() }, { ttl: Math.round(ttlSeconds * 1000) })
}

export function cacheClear(): void {
  lru.clear()
  hits = 0
  misses = 0
}

/** For the status page: size, bound and hit rate. */
export function cacheStats(): { size: number; max: number; hits: number; misses: number } {
  return { size: lru.size, max: maxEntries, hits, misses }
}
