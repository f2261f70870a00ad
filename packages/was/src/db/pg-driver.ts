/**
 * PostgreSQL through `pg`: one Pool per member, sized by the alias's `max`. Parameters always travel
 * separately from the SQL (the extended protocol). Cancelling a statement sends PostgreSQL's cancel
 * request for that connection's backend, so a timed-out query stops on the server too.
 */
import type { Pool, PoolClient, PoolConfig } from 'pg'
import type { AliasOptions } from '../aliases.js'
import { pgLib } from '../lazy-client-libs.js'
import type { Member } from '../member.js'
import {
  isConnectCode,
  type DbDriver,
  type DbRows,
  type DbRun,
  type ErrorKind,
  type TxRun,
  errorMessage,
} from './driver.js'

/** SQLSTATEs meaning "the statement did not run, this server is going away": safe on another member. */
const SHUTDOWN_STATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '08006', '08001', '08004'])

export class PgDriver implements DbDriver {
  private readonly _config: PoolConfig
  private _pool: Pool | null

  constructor(m: Member, o: AliasOptions) {
    const config: PoolConfig = {
      host: m.host,
      port: m.port,
      user: m.user ?? undefined,
      password: m.password ?? undefined,
      database: m.database ?? undefined,
      max: o.max ?? 10,
      idleTimeoutMillis: Math.round((o.idleTimeout ?? 30) * 1000),
      connectionTimeoutMillis: Math.round((o.connectTimeout ?? 5) * 1000),
      ...(o.driver as PoolConfig | undefined),
    }
    if (o.ssl === true) config.ssl = o.tls ?? true
    this._config = config
    this._pool = null
  }

  private _get(): Pool {
    if (this._pool !== null) return this._pool
    const pool = new (pgLib().Pool)(this._config)
    // An idle connection that the server closes emits 'error' on the pool; without a listener that
    // would be an uncaught exception. The pool already drops the connection; the next query reconnects.
    pool.on('error', () => {})
    this._pool = pool
    return pool
  }

  run(sql: string, params: readonly unknown[]): DbRun {
    const state: { client: PoolClient | null; cancelled: boolean } = { client: null, cancelled: false }
    const done = this._get()
      .connect()
      .then((client) => {
        if (state.cancelled) {
          client.release()
          throw new Error('cancelled before it was sent')
        }
        state.client = client
        return runOn(client, sql, params).finally(() => {
          state.client = null
          // A cancel request may still be on its way: drop this connection rather than let the cancel
          // hit the next statement that would run on it.
          client.release(state.cancelled)
        })
      })
    return {
      done,
      cancel: () => {
        if (state.cancelled) return
        state.cancelled = true
        if (state.client !== null) this._cancel(state.client)
      },
    }
  }

  async transaction<T>(fn: (run: TxRun) => Promise<T>): Promise<T> {
    const client = await this._get().connect()
    let broken = false
    const run: TxRun = (sql, params) => {
      const done = runOn(client, sql, params)
      done.catch((e) => {
        if (this.classify(e).kind !== 'fault') broken = true
      })
      return { done, cancel: () => this._cancel(client) }
    }
    try {
      await client.query('BEGIN')
    } catch (e) {
      client.release(this.classify(e).kind !== 'fault')
      throw e
    }
    let value: T
    try {
      value = await fn(run)
    } catch (e) {
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true))
      client.release(broken)
      throw e
    }
    try {
      await client.query('COMMIT')
    } catch (e) {
      client.release(broken || this.classify(e).kind !== 'fault')
      throw e
    }
    client.release(broken)
    return value
  }

  /**
   * PostgreSQL's out-of-band cancel request for the backend serving `client`, sent the way pg's own
   * `Client.cancel` does (a fresh Connection, then the backend's process id and secret key), without
   * going through its deprecated `activeQuery` accessor.
   */
  private _cancel(client: PoolClient): void {
    const c = client as unknown as { processID: number | null; secretKey: number | null }
    if (c.processID === null || c.secretKey === null) return
    const con = new (pgLib().Connection)() as unknown as {
      connect(port: number, host: string): void
      cancel(pid: number, key: number): void
      on(ev: string, fn: (...a: unknown[]) => void): void
      end(): void
    }
    con.on('error', () => {})
    con.on('connect', () => con.cancel(c.processID as number, c.secretKey as number))
    con.connect(this._config.port as number, this._config.host as string)
  }

  classify(err: unknown): ErrorKind {
    return classifyPgError(err)
  }

  async close(): Promise<void> {
    const p = this._pool
    this._pool = null
    if (p !== null) await p.end().catch(() => {})
  }
}

function runOn(client: PoolClient, sql: string, params: readonly unknown[]): Promise<DbRows> {
  return client.query(sql, params as unknown[]).then((res) => ({ rows: res.rows, rowCount: res.rowCount }))
}

/** pg's and PGlite's errors: a five-character SQLSTATE code is the server's answer. */
export function classifyPgError(err: unknown): ErrorKind {
  const e = err as { code?: unknown; message?: string }
  const code = typeof e?.code === 'string' ? e.code : ''
  const message = errorMessage(err)
  if (isConnectCode(code)) return { kind: 'connect', message: `${code}: ${message}` }
  if (SHUTDOWN_STATES.has(code)) return { kind: 'connect', message: `${code}: ${message}` }
  if (/^[0-9A-Z]{5}$/.test(code)) return { kind: 'fault', code, message }
  if (/timeout exceeded when trying to connect|Connection terminated due to connection timeout/i.test(message))
    return { kind: 'connect', message }
  return { kind: 'dropped', message }
}
