/**
 * SQLite through better-sqlite3, off the event loop: each member runs `workers` worker threads (default
 * 2 for a file, 1 for ':memory:', whose threads would each see a database of their own), each with its
 * own connection; a file database is opened in WAL mode so readers and the writer do not block each
 * other. A statement that runs over its timeout cannot be interrupted inside SQLite: its result is
 * dropped and it runs to its end in its thread.
 */
import { Worker } from 'node:worker_threads'
import type { AliasOptions } from '../aliases.js'
import { betterSqlitePath } from '../lazy-client-libs.js'
import type { DbDriver, DbRows, DbRun, ErrorKind, TxRun } from './driver.js'
import { SQLITE_WORKER_SOURCE } from './sqlite-worker.js'

interface Reply {
  id: number
  rows?: unknown[]
  rowCount?: number
  lastInsertRowid?: number
  error?: { message: string; code: string; sqlite: boolean }
  open?: { message: string; code: string }
  ready?: boolean
}

class SqliteError extends Error {
  readonly code: string
  readonly kind: 'fault' | 'connect' | 'dropped'
  constructor(message: string, code: string, kind: 'fault' | 'connect' | 'dropped') {
    super(message)
    this.code = code
    this.kind = kind
  }
}

interface Waiting {
  resolve(r: DbRows): void
  reject(e: Error): void
}

/** One worker thread and the statements it has been sent. */
class Thread {
  readonly worker: Worker
  readonly waiting = new Map<number, Waiting>()
  /** Held by a transaction: no other statement is sent to it. */
  reserved = false
  dead = false

  constructor(worker: Worker, onGone: (t: Thread) => void) {
    this.worker = worker
    worker.unref()
    worker.on('message', (m: Reply) => {
      if (m.id === 0) {
        if (m.open !== undefined) this._gone(new SqliteError(m.open.message, m.open.code, 'connect'), onGone)
        return
      }
      const w = this.waiting.get(m.id)
      if (w === undefined) return
      this.waiting.delete(m.id)
      if (m.error !== undefined) w.reject(new SqliteError(m.error.message, m.error.code, 'fault'))
      else w.resolve({ rows: m.rows ?? [], rowCount: m.rowCount ?? null })
    })
    worker.on('error', (e) => this._gone(new SqliteError(e.message, 'SQLITE_WORKER', 'dropped'), onGone))
    worker.on('exit', () =>
      this._gone(new SqliteError('the SQLite worker thread exited', 'SQLITE_WORKER', 'dropped'), onGone),
    )
  }

  private _gone(err: SqliteError, onGone: (t: Thread) => void): void {
    if (this.dead) return
    this.dead = true
    for (const w of this.waiting.values()) w.reject(err)
    this.waiting.clear()
    void this.worker.terminate()
    onGone(this)
  }
}

let seq = 0

export class SqliteDriver implements DbDriver {
  private readonly _file: string
  private readonly _size: number
  private readonly _options: Record<string, unknown>
  private readonly _threads: Thread[] = []
  /** Statements waiting because every thread is held by a transaction. */
  private readonly _queue: Array<() => void> = []

  constructor(file: string, o: AliasOptions) {
    this._file = file
    const memory = file === ':memory:' || file === ''
    this._size = memory ? 1 : Math.max(1, o.workers ?? 2)
    this._options = { ...(o.driver as Record<string, unknown> | undefined) }
    if (o.connectTimeout !== undefined) this._options.timeout = Math.round(o.connectTimeout * 1000)
  }

  private _spawn(): Thread {
    const worker = new Worker(SQLITE_WORKER_SOURCE, {
      eval: true,
      workerData: {
        lib: betterSqlitePath(),
        file: this._file === '' ? ':memory:' : this._file,
        options: this._options,
        wal: !(this._file === ':memory:' || this._file === ''),
        busyMs: 5000,
      },
    })
    const t = new Thread(worker, (gone) => {
      const i = this._threads.indexOf(gone)
      if (i >= 0) this._threads.splice(i, 1)
    })
    this._threads.push(t)
    return t
  }

  /** The free thread with the fewest statements queued (spawning up to the pool size), or null. */
  private _pick(): Thread | null {
    let best: Thread | null = null
    for (const t of this._threads) if (!t.reserved && (best === null || t.waiting.size < best.waiting.size)) best = t
    if ((best === null || best.waiting.size > 0) && this._threads.length < this._size) return this._spawn()
    return best
  }

  private _send(t: Thread, sql: string, params: readonly unknown[]): Promise<DbRows> {
    const id = ++seq
    return new Promise<DbRows>((resolve, reject) => {
      t.waiting.set(id, { resolve, reject })
      t.worker.postMessage({ id, sql, params })
    })
  }

  run(sql: string, params: readonly unknown[]): DbRun {
    const t = this._pick()
    if (t !== null) return { done: this._send(t, sql, params), cancel: () => {} }
    const done = new Promise<DbRows>((resolve, reject) => {
      this._queue.push(() => {
        const next = this._pick() as Thread
        this._send(next, sql, params).then(resolve, reject)
      })
    })
    return { done, cancel: () => {} }
  }

  async transaction<T>(fn: (run: TxRun) => Promise<T>): Promise<T> {
    let t = this._pick()
    while (t === null) {
      await new Promise<void>((r) => this._queue.push(r))
      t = this._pick()
    }
    const held = t
    held.reserved = true
    const run: TxRun = (sql, params) => ({ done: this._send(held, sql, params), cancel: () => {} })
    try {
      await this._send(held, 'BEGIN', [])
      let value: T
      try {
        value = await fn(run)
      } catch (e) {
        await this._send(held, 'ROLLBACK', []).catch(() => {})
        throw e
      }
      await this._send(held, 'COMMIT', [])
      return value
    } finally {
      held.reserved = false
      const waiting = this._queue.splice(0)
      for (const w of waiting) w()
    }
  }

  classify(err: unknown): ErrorKind {
    if (err instanceof SqliteError) {
      if (err.kind === 'fault') return { kind: 'fault', code: err.code, message: err.message }
      return { kind: err.kind, message: `${err.code}: ${err.message}` }
    }
    return { kind: 'dropped', message: err instanceof Error ? err.message : String(err) }
  }

  async close(): Promise<void> {
    const ts = this._threads.splice(0)
    await Promise.all(ts.map((t) => t.worker.terminate()))
  }
}
