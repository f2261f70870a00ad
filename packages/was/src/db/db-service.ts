/**
 * `was.db(alias)` (README "Databases"): `execute(sql, params?, opts?)` fires a statement at once and
 * returns a Task (`getwait`/`getswait`/`fetch`/`one`/`wait`), `.lb` spreads statements over the members
 * with fail-over, `.map` runs one on every member; `transaction(fn)` runs `fn` on one held connection
 * between BEGIN and COMMIT (ROLLBACK when it throws). For DB_REDIS, `execute(command, ...args)`.
 */
import { type Cluster, DB_REDIS, getAlias, isDbType } from '../aliases.js'
import { mapMembers } from '../balance.js'
import { cacheGet, cacheSize, keyOf } from '../cache.js'
import type { Firer, RequestOptions } from '../fire.js'
import { MODE_MAP, type Mode, failedTask } from '../fire.js'
import { HttpError } from '../errors.js'
import { getlu } from '../lu.js'
import { pickMember } from '../balance.js'
import type { Result, ResultSet } from '../result.js'
import { STATUS_DONE } from '../result.js'
import { Task } from '../task.js'
import { DbCall, type DbCallSpec } from './db-call.js'
import { DbFaultError, DbResult } from './db-result.js'
import { driverFor } from './drivers.js'
import { redisTransaction } from './redis-tx.js'

/** Per-call options of a database statement (a subset of the HTTP ones). */
export type DbOptions = Pick<RequestOptions, 'timeout' | 'useCache' | 'filter'>

/** A statement inside `transaction(fn)`: resolves with its Result; rejects when it failed. */
export interface DbTx {
  execute(sql: string, params?: readonly unknown[]): Promise<DbResult>
  /** Redis (a MULTI/EXEC block, redis-tx.ts): replies arrive once EXEC ran, sent when one is awaited. */
  execute(command: string, ...args: Array<string | number | Buffer>): Promise<DbResult>
}

export interface DbHandle {
  /** SQL with `$1, $2 …` (or `?` for SQLite) placeholders; `params` are sent apart from the SQL. */
  execute(sql: string, params?: readonly unknown[], opts?: DbOptions): Task
  /** Redis: `execute('HSET', 'h', 'f', 'v')`. */
  execute(command: string, ...args: Array<string | number | Buffer>): Task
  /**
   * `fn` on one connection between BEGIN and COMMIT; ROLLBACK and rethrow when it throws. Redis: the
   * commands go out as one MULTI/EXEC (was README "Databases").
   */
  transaction<T>(fn: (tx: DbTx) => Promise<T>): Promise<T>
}

export interface DbService {
  (alias: string, opts?: DbOptions): DbHandle
  lb(alias: string, opts?: DbOptions): DbHandle
  map(alias: string, opts?: DbOptions): DbHandle
}

export function dbService(w: Firer): DbService {
  const make = (mode: Mode) => (alias: string, opts?: DbOptions) => dbHandle(w, alias, mode, opts)
  const f = make(0) as DbService
  f.lb = f
  f.map = make(MODE_MAP)
  return f
}

function resolve(w: Firer, alias: string): Cluster {
  if (typeof alias !== 'string' || alias === '') throw new TypeError('was.db: give an alias name such as "@mydb"')
  const name = (alias.startsWith('@') ? alias.slice(1) : alias).split('/')[0] as string
  const cluster = w.resolveAlias(name) ?? getAlias(name)
  if (cluster === undefined)
    throw new Error(`was.db: unknown alias '@${name}' (register it with skitai.alias('@${name}', skitai.DB_PGSQL, …))`)
  if (!isDbType(cluster.type))
    throw new Error(`was.db: alias '@${name}' is of type ${cluster.type}, not a database (use was.get/post/rpc)`)
  return cluster
}

function dbHandle(w: Firer, alias: string, mode: Mode, handleOpts: DbOptions | undefined): DbHandle {
  const cluster = resolve(w, alias)
  const url = `@${cluster.name}`
  const redis = cluster.type === DB_REDIS
  return {
    execute(sql: string, ...rest: unknown[]): Task {
      let params: readonly unknown[]
      let opts = handleOpts
      if (redis) params = rest
      else {
        const p = rest[0]
        if (p !== undefined && p !== null && !Array.isArray(p))
          return failedTask(
            url,
            `was.db('${url}').execute: params must be an array, got ${typeof p}`,
            mode === MODE_MAP,
          )
        params = (p as unknown[] | undefined | null) ?? []
        if (rest[1] !== undefined) opts = { ...handleOpts, ...(rest[1] as DbOptions) }
      }
      if (typeof sql !== 'string' || sql === '')
        return failedTask(
          url,
          `was.db('${url}').execute: give the ${redis ? 'command' : 'SQL'} as a string`,
          mode === MODE_MAP,
        )
      return fireDb(w, cluster, url, sql, params, mode, opts)
    },
    transaction<T>(fn: (tx: DbTx) => Promise<T>): Promise<T> {
      if (mode === MODE_MAP)
        return Promise.reject(new Error(`was.db.map('${url}').transaction: a transaction runs on one member`))
      return redis ? redisTransaction(cluster, url, fn as never) : transaction(cluster, url, fn)
    },
  }
}

function keyBody(sql: string, params: readonly unknown[]): string | null {
  try {
    return JSON.stringify([sql, params])
  } catch {
    return null // a BigInt or a cycle: not cacheable
  }
}

function fireDb(
  w: Firer,
  cluster: Cluster,
  url: string,
  sql: string,
  params: readonly unknown[],
  mode: Mode,
  o: DbOptions | undefined,
): Task {
  const map = mode === MODE_MAP
  const useCache = o?.useCache
  const filter = o?.filter ?? null
  const body = keyBody(sql, params)
  if (useCache !== false && body !== null && cacheSize() > 0) {
    const key = keyOf({ method: 'DB', url, body, replayable: true, cluster }, map)
    if (key !== null) {
      const notBefore = typeof useCache === 'number' ? useCache : typeof useCache === 'string' ? getlu(useCache) : 0
      const hit = cacheGet<Result | ResultSet>(key, notBefore)
      if (hit !== undefined) return new Task([], map, hit, filter, null)
    }
  }
  const timeoutMs = o?.timeout === undefined ? cluster.timeoutMs : Math.max(1, Math.round(o.timeout * 1000))
  const members = map ? mapMembers(cluster) : [null]
  const calls: DbCall[] = []
  for (const member of members) {
    const spec: DbCallSpec = { url, cluster, member, sql, params, timeoutMs, method: 'DB', body, replayable: true }
    const c = new DbCall(spec, !map)
    w.trackCall(c)
    calls.push(c)
  }
  const task = new Task(calls, map, null, filter, map && body !== null ? (calls[0]?.spec ?? null) : null)
  for (const c of calls) c.start()
  return task
}

async function transaction<T>(cluster: Cluster, url: string, fn: (tx: DbTx) => Promise<T>): Promise<T> {
  const tried: NonNullable<ReturnType<typeof pickMember>>[] = []
  for (;;) {
    const m = pickMember(cluster, tried)
    if (m === null) throw new HttpError(502, 'Bad Gateway', { detail: `database ${url}: no member could be reached` })
    const driver = driverFor(cluster, m)
    let started = false
    m.inflight++
    try {
      return await driver.transaction((run) => {
        started = true
        const tx = {
          async execute(sql: string, params: readonly unknown[] = []): Promise<DbResult> {
            const r = new DbResult(url, null)
            r.member = m.address
            try {
              const res = await run(sql, params).done
              r.status = STATUS_DONE
              r.status_code = 200
              r.reason = 'OK'
              r.data = res.rows
              r.rowCount = res.rowCount
              return r
            } catch (e) {
              const k = driver.classify(e)
              if (k.kind !== 'fault')
                throw new HttpError(502, 'Bad Gateway', { detail: `database ${url}: ${k.message}`, cause: e })
              r.status = STATUS_DONE
              r.status_code = 500
              r.reason = 'Internal Server Error'
              r.fault = { code: k.code, message: k.message }
              r.error = e as Error
              throw new DbFaultError(r)
            }
          },
        }
        return fn(tx as DbTx)
      })
    } catch (e) {
      // Before BEGIN ran, a member that cannot be reached is skipped like any `.lb` call.
      const k = started ? null : driver.classify(e)
      if (k?.kind === 'connect') {
        m.markDown(k.message)
        tried.push(m)
        continue
      }
      throw e
    } finally {
      m.inflight--
    }
  }
}
