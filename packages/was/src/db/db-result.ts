/**
 * The Result of a database call (README "Databases"): `data` = rows (or the Redis reply), `rowCount`,
 * and a rejected statement as `status` 3 / `status_code` 500 / `fault` = `{ code: SQLSTATE, message }`.
 */
import type { KeySource } from '../cache.js'
import { HttpError } from '../errors.js'
import { Result, STATUS_DONE, STATUS_TIMEOUT } from '../result.js'

export class DbResult extends Result {
  /** Rows returned or affected (`null` when the driver has no count, e.g. Redis). */
  rowCount: number | null

  constructor(url: string, keySrc: KeySource | null) {
    super(url, keySrc)
    this.rowCount = null
  }
}

/**
 * What `fetch()`/`one()` throw for a statement the database rejected: not an HttpError, so the request
 * answers a plain 500 whose body names the SQL error only when the app is in debug mode (the message
 * may quote the table, the constraint or the values).
 */
export class DbFaultError extends Error {
  readonly status = 500
  readonly code: string
  readonly result: Result

  constructor(r: Result) {
    const f = r.fault as { code: string | number; message: string }
    super(`${r.url}: the database rejected the statement: ${f.code} ${f.message}`)
    this.name = 'DbFaultError'
    this.code = String(f.code)
    this.result = r
  }
}

/** The error `fetch()` raises for an unsuccessful database result. */
export function dbFetchError(r: DbResult): Error {
  if (r.status === STATUS_DONE && r.fault !== null) return new DbFaultError(r)
  if (r.status === STATUS_TIMEOUT)
    return new HttpError(504, 'Gateway Timeout', { detail: `database ${r.url} timed out`, cause: r.error })
  return new HttpError(502, 'Bad Gateway', { detail: `database ${r.url}: ${r.reason}`, cause: r.error ?? undefined })
}
