/**
 * One database statement in flight, collected by a Task like an HTTP call: it picks a member (by weight
 * and load for `.lb`, a fixed one for `.map`), runs the statement on that member's pool, and when the
 * member cannot be reached marks it down and runs the statement on another (fail-over). A timeout or the
 * end of the request that fired it cancels the statement on the server.
 */
import type { Cluster } from '../aliases.js'
import { pickMember } from '../balance.js'
import type { Pending } from '../call.js'
import { callChannel } from '../call.js'
import { Finishable } from '../finishable.js'
import type { Member } from '../member.js'
import {
  FAIL_CANCELLED,
  FAIL_CLOSED,
  FAIL_CONNECT,
  FAIL_TIMEOUT,
  STATUS_DONE,
  STATUS_FAILED,
  STATUS_TIMEOUT,
} from '../result.js'
import { DbResult } from './db-result.js'
import type { DbRun } from './driver.js'
import { driverFor } from './drivers.js'

export interface DbCallSpec {
  /** '@alias' as given to was.db. */
  readonly url: string
  readonly cluster: Cluster
  /** A fixed member (`.map`), or null to balance. */
  readonly member: Member | null
  /** SQL text, or the Redis command name. */
  readonly sql: string
  readonly params: readonly unknown[]
  /** 0: no timeout of its own (the collector's still applies). */
  readonly timeoutMs: number
  /** Cache key material (KeySource): method, url, body, replayable, cluster. */
  readonly method: 'DB'
  readonly body: string | null
  readonly replayable: true
}

export class DbCall extends Finishable implements Pending {
  declare readonly result: DbResult
  readonly spec: DbCallSpec
  private _member: Member | null
  private _tried: Member[] | null
  private _run: DbRun | null
  private _timer: NodeJS.Timeout | null

  constructor(spec: DbCallSpec, keyed: boolean) {
    super(new DbResult(spec.url, keyed && spec.body !== null ? spec : null))
    this.spec = spec
    this._member = null
    this._tried = null
    this._run = null
    this._timer = null
  }

  start(): this {
    const s = this.spec
    const m = s.member ?? pickMember(s.cluster, null)
    if (m === null) {
      this._end(STATUS_FAILED, FAIL_CONNECT, `no member of @${s.cluster.name} to query`, null)
      return this
    }
    if (s.timeoutMs > 0) {
      this._timer = setTimeout(() => this.abort(true, `timed out after ${s.timeoutMs / 1000} s`), s.timeoutMs)
      this._timer.unref()
    }
    this._send(m)
    return this
  }

  private _send(m: Member): void {
    this._member = m
    m.inflight++
    let run: DbRun
    try {
      run = driverFor(this.spec.cluster, m).run(this.spec.sql, this.spec.params)
    } catch (e) {
      this._failed(m, e)
      return
    }
    this._run = run
    run.done.then(
      (res) => {
        if (this.finished || this._member !== m) return
        const r = this.result
        r.data = res.rows
        r.rowCount = res.rowCount
        this._end(STATUS_DONE, 200, 'OK', null)
      },
      (err) => {
        if (this.finished || this._member !== m) return
        this._failed(m, err)
      },
    )
  }

  private _failed(m: Member, err: unknown): void {
    const s = this.spec
    const k = driverFor(s.cluster, m).classify(err)
    const e = err instanceof Error ? err : new Error(String(err))
    if (k.kind === 'fault') {
      const r = this.result
      r.fault = { code: k.code, message: k.message }
      this._end(STATUS_DONE, 500, 'Internal Server Error', e)
      return
    }
    m.markDown(k.message)
    m.inflight--
    this._member = null
    this._run = null
    if (k.kind === 'connect' && s.member === null) {
      ;(this._tried ??= []).push(m)
      const next = pickMember(s.cluster, this._tried)
      if (next !== null) {
        this._send(next)
        return
      }
    }
    this._member = m
    m.inflight++
    const why = k.kind === 'connect' ? `connection failed: ${k.message}` : `connection closed mid-query: ${k.message}`
    this._end(STATUS_FAILED, k.kind === 'connect' ? FAIL_CONNECT : FAIL_CLOSED, why, e)
  }

  /** Stop the statement (timeout, or its request ended uncollected) and cancel it on the server. */
  abort(timedOut: boolean, why: string): void {
    if (this.finished) return
    const err = new Error(why)
    ;(err as { code?: string }).code = timedOut ? 'SKITAI_TIMEOUT' : 'SKITAI_CANCELLED'
    const run = this._run
    this._run = null
    if (run !== null) run.cancel()
    this.result.data = null
    this._end(timedOut ? STATUS_TIMEOUT : STATUS_FAILED, timedOut ? FAIL_TIMEOUT : FAIL_CANCELLED, why, err)
  }

  private _end(status: 1 | 2 | 3, code: number, reason: string | null, err: Error | null): void {
    if (this.finished) return
    this.finished = true
    if (this._timer !== null) clearTimeout(this._timer)
    this._timer = null
    const r = this.result
    r.status = status
    r.status_code = code
    if (reason !== null) r.reason = reason
    r.error = err
    const m = this._member
    if (m !== null) {
      m.inflight--
      m.countCall(status, code)
      r.member = m.address
    }
    if (callChannel.hasSubscribers)
      callChannel.publish({
        method: 'DB',
        url: this.spec.url,
        member: r.member,
        status,
        status_code: code,
        reason: r.reason,
        gtxnid: null,
        ltxnid: null,
      })
    this._notify()
  }
}
