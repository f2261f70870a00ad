/**
 * Embedded PostgreSQL (PGlite, `pglite:./dir` or `pglite:` for memory): the same SQL and the same
 * results as a real server, with no server to run. It runs inside this process and answers one
 * statement at a time, so a statement cannot be cancelled once it started: a timeout only drops its
 * result. Its values are parsed as `pg` parses them (int8 and numeric as strings), so code and tests
 * see the same rows on both.
 */
import type { PGlite, Transaction } from '@electric-sql/pglite'
import { pgliteLib } from '../lazy-client-libs.js'
import type { DbDriver, DbRows, DbRun, ErrorKind, TxRun } from './driver.js'
import { classifyPgError } from './pg-driver.js'

const AS_TEXT = (v: string) => v
/** pg's defaults: int8 (20) and numeric (1700) stay strings (a JS number would lose digits). */
const PG_COMPATIBLE_PARSERS = { 20: AS_TEXT, 1700: AS_TEXT }

type Queryable = Pick<PGlite, 'query'> | Transaction

export class PgliteDriver implements DbDriver {
  private readonly _dataDir: string
  private _db: Promise<PGlite> | null

  /** `dataDir` '' or 'memory://' keeps the database in memory. */
  constructor(dataDir: string) {
    this._dataDir = dataDir === '' ? 'memory://' : dataDir
    this._db = null
  }

  private _get(): Promise<PGlite> {
    this._db ??= pgliteLib().then(async ({ PGlite }) => {
      const db = new PGlite(this._dataDir, { parsers: PG_COMPATIBLE_PARSERS })
      await db.waitReady
      return db
    })
    return this._db
  }

  run(sql: string, params: readonly unknown[]): DbRun {
    return { done: this._get().then((db) => runOn(db, sql, params)), cancel: () => {} }
  }

  async transaction<T>(fn: (run: TxRun) => Promise<T>): Promise<T> {
    const db = await this._get()
    // PGlite's transaction holds its query lock, so no other request's statement lands inside it.
    return db.transaction((tx) => fn((sql, params) => ({ done: runOn(tx, sql, params), cancel: () => {} })))
  }

  classify(err: unknown): ErrorKind {
    return classifyPgError(err)
  }

  async close(): Promise<void> {
    const p = this._db
    this._db = null
    if (p !== null) await (await p.catch(() => null))?.close().catch(() => {})
  }
}

async function runOn(db: Queryable, sql: string, params: readonly unknown[]): Promise<DbRows> {
  const res = await db.query(sql, params as unknown[])
  const count = (res as { rowCount?: number }).rowCount
  return { rows: res.rows, rowCount: count ?? (res.affectedRows || res.rows.length) }
}
