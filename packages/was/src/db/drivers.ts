/**
 * The driver of each database member, made on first use (so a worker that never queries loads no
 * driver library) and closed with its alias: pg for DB_PGSQL host members, PGlite for `pglite:` members,
 * better-sqlite3 in a worker thread for DB_SQLITE3, ioredis for DB_REDIS.
 */
import { type Cluster, DB_PGSQL, DB_REDIS, DB_SQLITE3 } from '../aliases.js'
import type { Member } from '../member.js'
import type { DbDriver } from './driver.js'
import { PgDriver } from './pg-driver.js'
import { PgliteDriver } from './pglite-driver.js'
import { RedisDriver } from './redis-driver.js'
import { SqliteDriver } from './sqlite-driver.js'

export const PGLITE_PREFIX = 'pglite:'

export function driverFor(cluster: Cluster, m: Member): DbDriver {
  const d = m.driver as DbDriver | null
  if (d !== null) return d
  const made = makeDriver(cluster, m)
  m.driver = made
  return made
}

function makeDriver(cluster: Cluster, m: Member): DbDriver {
  const o = cluster.dbOptions
  switch (cluster.type) {
    case DB_PGSQL:
      return m.path !== null ? new PgliteDriver(m.path.slice(PGLITE_PREFIX.length)) : new PgDriver(m, o)
    case DB_SQLITE3:
      return new SqliteDriver(m.path as string, o)
    case DB_REDIS:
      return new RedisDriver(m, o)
    default:
      throw new Error(`alias @${cluster.name} (${cluster.type}) is not a database alias`)
  }
}
