import {
  DB_REDIS,
  getAlias,
  RedisSharedState,
  type RedisSharedStateOptions,
  redisConnection,
  setSharedState,
} from '@skitai/was'

export interface UseRedisOptions extends Omit<RedisSharedStateOptions, 'log'> {
  /** Seconds `run()` waits for the first sync before serving with local values. Default 5. */
  joinTimeout?: number
}

type Log = (level: 'info' | 'warn' | 'error', message: string) => void

/**
 * `skitai.useRedis(url | '@alias')` (README "Shared state across hosts"): install the Redis backend of
 * the shared-state channel. Returns the backend and the promise `run()` awaits before writing the
 * initial `skitai.g` values, so a host that joins takes the values the others hold instead of resetting them.
 */
export function installRedis(
  target: string,
  options: UseRedisOptions,
  log: Log,
): { backend: RedisSharedState; joined: Promise<void> } {
  if (typeof target !== 'string' || target === '')
    throw new TypeError("useRedis: give a redis:// URL or the name of a DB_REDIS alias ('@name')")
  let connection: string | ReturnType<typeof redisConnection>
  if (target.startsWith('@')) {
    const cluster = getAlias(target)
    if (cluster === undefined) throw new Error(`useRedis(${JSON.stringify(target)}): no such alias (register it first)`)
    if (cluster.type !== DB_REDIS)
      throw new Error(`useRedis(${JSON.stringify(target)}): the alias is ${cluster.type}, not DB_REDIS`)
    // One Redis carries the channel: the alias's first member.
    connection = redisConnection(cluster.members[0]!, cluster.dbOptions)
  } else if (/^rediss?:\/\//.test(target)) connection = target
  else throw new Error(`useRedis(${JSON.stringify(target)}): give a redis:// (or rediss://) URL or '@alias'`)
  const { joinTimeout = 5, ...rest } = options
  const backend = new RedisSharedState(connection, { ...rest, log })
  const previous = setSharedState(backend)
  void previous.close()
  const joined = backend.ready(joinTimeout * 1000).then((ok) => {
    if (!ok)
      log('warn', `shared state: Redis not reachable after ${joinTimeout} s; serving with local values until it is`)
  })
  return { backend, joined }
}
