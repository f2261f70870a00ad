/**
 * Redis through ioredis, one connection per member (Redis answers in order and ioredis pipelines the
 * commands of concurrent requests on it). `execute('SET', 'k', 'v')` sends the command with its
 * arguments as separate bulk strings (no string building). A member that cannot be reached fails the
 * command at once (no offline queue waiting for a reconnect), so `.lb` can go on to another member.
 */
import type { ChainableCommander, Redis, RedisOptions } from 'ioredis'
import type { AliasOptions } from '../aliases.js'
import { ioredisLib } from '../lazy-client-libs.js'
import type { Member } from '../member.js'
import { isConnectCode, type DbDriver, type DbRun, type ErrorKind, errorMessage } from './driver.js'

/** ioredis connection settings for a DB_REDIS member (also `skitai.useRedis('@alias')`). */
export function redisConnection(m: Member, o: AliasOptions): RedisOptions {
  const db = m.database === null ? 0 : Number(m.database)
  if (!Number.isInteger(db) || db < 0)
    throw new Error(`redis member ${m.address}: the database must be a number, got ${JSON.stringify(m.database)}`)
  return {
    host: m.host,
    port: m.port,
    username: m.password === null || m.user === '' ? undefined : (m.user ?? undefined),
    password: m.password ?? (m.user === null ? undefined : m.user),
    db,
    connectTimeout: Math.round((o.connectTimeout ?? 5) * 1000),
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
    ...(o.ssl === true ? { tls: o.tls ?? {} } : {}),
  }
}

export class RedisDriver implements DbDriver {
  private readonly _member: Member
  private readonly _o: AliasOptions
  private _client: Redis | null

  constructor(m: Member, o: AliasOptions) {
    this._member = m
    this._o = o
    this._client = null
  }

  private _get(): Redis {
    if (this._client !== null) return this._client
    const client = new (ioredisLib())({
      ...redisConnection(this._member, this._o),
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      ...(this._o.driver as object | undefined),
    })
    // Connection errors reach each command; the client's own 'error' events would otherwise be unhandled.
    client.on('error', () => {})
    this._client = client
    return client
  }

  run(cmd: string, args: readonly unknown[]): DbRun {
    const c = this._get()
    const done = c.call(cmd, ...(args as Array<string | number | Buffer>)).then((reply: unknown) => ({
      rows: reply,
      rowCount: Array.isArray(reply) ? reply.length : null,
    }))
    return { done, cancel: () => {} }
  }

  /** Never called: DB_REDIS transactions are MULTI/EXEC blocks (redis-tx.ts), not BEGIN/COMMIT. */
  transaction(): Promise<never> {
    return Promise.reject(new Error('redis transactions go through redisTransaction (MULTI/EXEC)'))
  }

  /** A MULTI block on this member's connection, written at exec() (redis-tx.ts). */
  multi(): ChainableCommander {
    return this._get().multi()
  }

  classify(err: unknown): ErrorKind {
    const e = err as { name?: string; code?: string }
    const message = errorMessage(err)
    if (e?.name === 'ReplyError') return { kind: 'fault', code: message.split(' ', 1)[0] ?? 'ERR', message }
    if (e?.name === 'MaxRetriesPerRequestError' || (typeof e?.code === 'string' && isConnectCode(e.code)))
      return { kind: 'connect', message }
    if (/Stream isn't writeable|enableOfflineQueue/.test(message)) return { kind: 'connect', message }
    return { kind: 'dropped', message }
  }

  async close(): Promise<void> {
    const c = this._client
    this._client = null
    if (c !== null) c.disconnect()
  }
}
