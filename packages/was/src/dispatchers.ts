/**
 * The undici dispatchers every `was` request goes through: one Agent (a keep-alive Pool per origin) for
 * absolute URLs, one Pool per alias member (member.ts). `enableCachefs` composes undici's RFC 9111 cache
 * interceptor onto all of them.
 */
import type { Agent, Dispatcher } from 'undici'
import { undiciLib } from './lazy-client-libs.js'

export interface CachefsOptions {
  /** Bytes of response bodies kept in memory (default 100 MB, undici's MemoryCacheStore default). */
  memmax?: number
  /** Accepted for compatibility; undici's disk store (SqliteCacheStore) needs node:sqlite (Node ≥ 22.5). */
  diskmax?: number
  /** Accepted for compatibility, see `diskmax`. */
  path?: string
  /** Largest single response cached (default 5 MB). */
  maxEntrySize?: number
}

let cacheInterceptor: Dispatcher.DispatcherComposeInterceptor | null = null
let agent: Agent | null = null
let agentDispatcher: Dispatcher | null = null
/** Bumped whenever the interceptor chain changes, so members rebuild their composed dispatcher. */
export let dispatcherGeneration = 0

export function wrapDispatcher(d: Dispatcher): Dispatcher {
  return cacheInterceptor === null ? d : d.compose(cacheInterceptor)
}

/** The dispatcher for absolute URLs. */
export function defaultDispatcher(): Dispatcher {
  if (agentDispatcher === null) {
    // HTTP/2 when a TLS server offers it by ALPN, HTTP/1.1 otherwise.
    agent ??= new (undiciLib().Agent)({ allowH2: true })
    agentDispatcher = wrapDispatcher(agent)
  }
  return agentDispatcher
}

/**
 * `skitai.enableCachefs({ memmax, diskmax, path })`: HTTP responses are cached by their own
 * Cache-Control/Expires headers (GET/HEAD/OPTIONS only, as RFC 9111 allows). Only the memory store is
 * available on Node 20; `diskmax`/`path` are kept for the day node:sqlite is there.
 */
export function enableCachefs(opts: CachefsOptions = {}): void {
  const { cacheStores, interceptors } = undiciLib()
  const store = new cacheStores.MemoryCacheStore({
    maxSize: opts.memmax ?? 100 * 1024 * 1024,
    maxEntrySize: opts.maxEntrySize ?? 5 * 1024 * 1024,
  })
  cacheInterceptor = interceptors.cache({ store, methods: ['GET', 'HEAD', 'OPTIONS'] })
  agentDispatcher = null
  dispatcherGeneration++
}

export function disableCachefs(): void {
  cacheInterceptor = null
  agentDispatcher = null
  dispatcherGeneration++
}

export function cachefsEnabled(): boolean {
  return cacheInterceptor !== null
}
