/**
 * One member of an alias: its address, an undici Pool of keep-alive connections (created on first use),
 * its current load and whether it is marked down. A member marked down is probed with a plain TCP
 * connect every `probeMs` until it accepts connections again.
 */
import { connect } from 'node:net'
import type { Dispatcher, Pool } from 'undici'
import { dispatcherGeneration, wrapDispatcher } from './dispatchers.js'
import { undiciLib } from './lazy-client-libs.js'
import { FAIL_CANCELLED, STATUS_DONE, STATUS_TIMEOUT } from './result.js'

/** Outcomes of finished calls, in the order of `Member.outcomes` (the engine's metrics label them so). */
export const CALL_OUTCOMES = ['ok', 'error', 'failed', 'timeout', 'cancelled'] as const
export type CallOutcome = (typeof CALL_OUTCOMES)[number]

/** A parsed member address, before any connection exists (`aliases.ts` `parseMember`). */
export interface MemberSpec {
  readonly host: string
  readonly port: number
  readonly user: string | null
  readonly password: string | null
  readonly database: string | null
  readonly weight: number
  /** For sqlite3: the file path as given. */
  readonly path: string | null
}

export class Member {
  readonly host: string
  readonly port: number
  readonly user: string | null
  readonly password: string | null
  readonly database: string | null
  readonly weight: number
  readonly path: string | null
  /** 'http://host:port' (or https), '' for database members. */
  readonly origin: string
  /** `Basic …` header value when the member carries credentials (HTTP types). */
  readonly authorization: string | null
  /** Requests in flight to this member. */
  inflight: number
  /** Smooth weighted round-robin state (balance.ts). */
  cw: number
  down: boolean
  /** Why it was marked down (the last connection error), for the status page. */
  downReason: string | null
  /** Connection failures seen on calls to this member (each one marks it down). */
  failures: number
  /**
   * Finished calls by outcome, indexed like CALL_OUTCOMES: answered below 500, answered 500 or more
   * (a database fault too), failed (connection, decoding), timed out, cancelled. Plain integers: counted
   * on every call whether or not anyone reads them (the status page and metrics do).
   */
  readonly outcomes: number[]
  /** A database member's driver (its pool), made on first query (db/drivers.ts), closed with the member. */
  driver: { close(): Promise<void> } | null
  /** What logs, errors and the status page show: never the password. */
  readonly address: string
  private _pool: Pool | null
  private _dispatcher: Dispatcher | null
  private _generation: number
  private _probe: NodeJS.Timeout | null
  /** Closed with its cluster: never probed again (a late failure of a call still in flight may mark it down). */
  private _closed: boolean
  private readonly _probeMs: number
  private readonly _poolOptions: Pool.Options

  constructor(
    spec: MemberSpec,
    scheme: string,
    probeMs: number,
    connections: number | undefined,
    tls: object | undefined,
  ) {
    this.host = spec.host
    this.port = spec.port
    this.user = spec.user
    this.password = spec.password
    this.database = spec.database
    this.weight = spec.weight
    this.path = spec.path
    const h = spec.host.includes(':') ? `[${spec.host}]` : spec.host
    this.origin = scheme === '' ? '' : `${scheme}//${h}:${spec.port}`
    this.authorization =
      scheme !== '' && spec.user !== null
        ? `Basic ${Buffer.from(`${spec.user}:${spec.password ?? ''}`).toString('base64')}`
        : null
    this.inflight = 0
    this.cw = 0
    this.down = false
    this.downReason = null
    this.failures = 0
    this.outcomes = [0, 0, 0, 0, 0]
    this.driver = null
    this.address =
      spec.path ??
      (scheme === ''
        ? `${spec.user === null || spec.user === '' || spec.password === null ? '' : `${spec.user}@`}${h}:${spec.port}${spec.database === null ? '' : `/${spec.database}`}`
        : `${spec.host}:${spec.port}`)
    this._pool = null
    this._dispatcher = null
    this._generation = -1
    this._probe = null
    this._closed = false
    this._probeMs = probeMs
    // HTTP/2 is used when a TLS member offers it by ALPN (HTTP/1.1 otherwise); cleartext stays HTTP/1.1.
    const opts: Pool.Options = { allowH2: true }
    if (connections !== undefined) opts.connections = connections
    if (tls !== undefined) opts.connect = tls as Pool.Options['connect']
    this._poolOptions = opts
  }

  /** The member's pool (through the cachefs interceptor when that is on). */
  dispatcher(): Dispatcher {
    if (this._generation !== dispatcherGeneration || this._dispatcher === null) {
      this._pool ??= new (undiciLib().Pool)(this.origin, this._poolOptions)
      this._dispatcher = wrapDispatcher(this._pool)
      this._generation = dispatcherGeneration
    }
    return this._dispatcher
  }

  /** Count one finished call by its Result status and status_code. */
  countCall(status: number, code: number): void {
    const o = this.outcomes
    if (status === STATUS_DONE) o[code < 500 ? 0 : 1]++
    else if (status === STATUS_TIMEOUT) o[3]++
    else o[code === FAIL_CANCELLED ? 4 : 2]++
  }

  /** Mark down after a connection failure; start probing until it answers again. */
  markDown(reason: string): void {
    this.failures++
    this.downReason = reason
    if (this.down) return
    this.down = true
    this._schedule()
  }

  markUp(): void {
    this.down = false
    this.downReason = null
    if (this._probe !== null) {
      clearTimeout(this._probe)
      this._probe = null
    }
  }

  private _schedule(): void {
    if (this._probe !== null || this._closed) return
    this._probe = setTimeout(() => {
      this._probe = null
      this._runProbe()
    }, this._probeMs)
    this._probe.unref()
  }

  private _runProbe(): void {
    if (!this.down || this._closed) return
    if (this.path !== null) {
      this.markUp()
      return
    }
    const sock = connect({ host: this.host, port: this.port })
    sock.setTimeout(Math.max(1000, this._probeMs))
    const done = (ok: boolean) => {
      sock.destroy()
      if (ok) this.markUp()
      else if (this.down) this._schedule()
    }
    sock.once('connect', () => done(true))
    sock.once('error', () => done(false))
    sock.once('timeout', () => done(false))
    sock.unref()
  }

  async close(): Promise<void> {
    this._closed = true
    if (this._probe !== null) clearTimeout(this._probe)
    this._probe = null
    const d = this.driver
    this.driver = null
    if (d !== null) await d.close().catch(() => {})
    const p = this._pool
    this._pool = null
    this._dispatcher = null
    if (p !== null) await p.destroy().catch(() => {})
  }
}
