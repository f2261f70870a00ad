/**
 * What every database driver (PostgreSQL through pg, PGlite, SQLite in a worker thread, Redis) gives the
 * `was.db` calls: run one statement (or Redis command) on a pooled connection, with a way to cancel it on
 * the server; one connection held for a transaction; and how to read its errors.
 */
import { CONNECT_ERRORS } from '../failover.js'

/** What a finished statement gave: rows (or a Redis reply) and the affected/returned row count. */
export interface DbRows {
  readonly rows: unknown
  readonly rowCount: number | null
}

/** A statement in flight. `cancel()` stops it on the server when the driver can (pg) and is idempotent. */
export interface DbRun {
  readonly done: Promise<DbRows>
  cancel(): void
}

/** Runs a statement on the connection a transaction holds. */
export type TxRun = (sql: string, params: readonly unknown[]) => DbRun

/**
 * How an error ended a statement:
 * - `fault`: the server answered and rejected it (syntax, constraint …): `code` is the SQLSTATE (or the
 *   Redis error word, or SQLite's code);
 * - `connect`: the statement never reached a working server (refused, unreachable, shutting down), so it
 *   is safe to run it on another member;
 * - `dropped`: the connection broke while it ran: it may have run, so it is not retried.
 */
export type ErrorKind =
  | { readonly kind: 'fault'; readonly code: string; readonly message: string }
  | { readonly kind: 'connect' | 'dropped'; readonly message: string }

export interface DbDriver {
  run(sql: string, params: readonly unknown[]): DbRun
  /**
   * Hold one connection, `BEGIN`, run `fn` with it, `COMMIT` when it resolves, `ROLLBACK` when it
   * throws (and rethrow), then give the connection back.
   */
  transaction<T>(fn: (run: TxRun) => Promise<T>): Promise<T>
  classify(err: unknown): ErrorKind
  close(): Promise<void>
}

/** Network error codes raised before a statement reached a server (the HTTP calls' list, plus a TCP timeout). */
export function isConnectCode(code: string): boolean {
  return CONNECT_ERRORS.has(code) || code === 'ETIMEDOUT'
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
