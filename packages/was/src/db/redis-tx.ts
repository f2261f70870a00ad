/**
 * `was.db('@redis').transaction(fn)`: the commands `fn` issues go out as one MULTI … EXEC (was README,
 * "Databases"). Redis answers a transaction's commands only at EXEC, so the replies are lazy: EXEC is
 * sent as soon as `fn` awaits any of them (or returns), and every reply resolves then. A command issued
 * after that cannot join the transaction and is refused with a clear error. When `fn` throws before EXEC
 * nothing was sent (ioredis buffers the MULTI block), so nothing ran. Redis has no rollback: once EXEC
 * ran, a command that failed inside it (WRONGTYPE …) rejects alone and the others stay applied.
 */
import type { ChainableCommander } from 'ioredis'
import type { Cluster } from '../aliases.js'
import { pickMember } from '../balance.js'
import { HttpError } from '../errors.js'
import { STATUS_DONE } from '../result.js'
import { DbFaultError, DbResult } from './db-result.js'
import { driverFor } from './drivers.js'
import type { RedisDriver } from './redis-driver.js'

/** A transaction's command: `tx.execute('INCR', 'n')`. */
export interface RedisTx {
  execute(command: string, ...args: Array<string | number | Buffer>): Promise<DbResult>
}

type Reply = [Error | null, unknown]

export async function redisTransaction<T>(cluster: Cluster, url: string, fn: (tx: RedisTx) => Promise<T>): Promise<T> {
  const m = pickMember(cluster, null)
  if (m === null) throw new HttpError(502, 'Bad Gateway', { detail: `database ${url}: no member could be reached` })
  const driver = driverFor(cluster, m) as RedisDriver
  // ioredis buffers the block and writes MULTI … EXEC in one go at exec(), so no other request's
  // command on the shared connection lands inside it.
  const batch: ChainableCommander = driver.multi()
  let sent = false
  let fire!: () => void
  const go = new Promise<void>((r) => {
    fire = r
  })
  const replies: Promise<Reply[]> = go
    .then(() => batch.exec())
    .then(
      (r) => (r ?? []) as Reply[],
      (e: unknown) => {
        // EXECABORT (a command Redis refused while queueing): nothing ran, a fault like any other
        if (driver.classify(e).kind === 'fault') throw faultOf(e)
        throw new HttpError(502, 'Bad Gateway', {
          detail: `database ${url}: the transaction failed: ${(e as Error)?.message ?? e}`,
          cause: e,
        })
      },
    )
  const send = () => {
    if (sent) return
    sent = true
    fire()
  }
  /** Failures of commands `fn` never awaited: the transaction reports the first. */
  const unobserved: Array<{ seen: boolean; done: Promise<unknown> }> = []

  const made = (): DbResult => {
    const r = new DbResult(url, null)
    r.member = m.address
    r.status = STATUS_DONE
    return r
  }
  function faultOf(err: unknown): DbFaultError {
    const r = made()
    const k = driver.classify(err)
    r.status_code = 500
    r.reason = 'Internal Server Error'
    r.fault = { code: k.kind === 'fault' ? k.code : 'ERR', message: k.message }
    r.error = err as Error
    return new DbFaultError(r)
  }
  const toResult = (reply: Reply | undefined): DbResult => {
    const [err, value] = reply ?? [new Error('ERR no reply for this command'), null]
    if (err !== null) throw faultOf(err)
    const r = made()
    r.status_code = 200
    r.reason = 'OK'
    r.data = value
    r.rowCount = Array.isArray(value) ? value.length : null
    return r
  }

  const tx: RedisTx = {
    execute(command: string, ...args: Array<string | number | Buffer>): Promise<DbResult> {
      if (sent)
        return Promise.reject(
          new Error(
            `${url} transaction: ${command} came after EXEC was sent (awaiting a reply sends it); issue every command first`,
          ),
        )
      const i = unobserved.length
      batch.call(command, ...args)
      const done = replies.then((r) => toResult(r[i]))
      const entry = { seen: false, done }
      unobserved.push(entry)
      done.catch(() => {}) // reported by the transaction when fn never looks at it
      return new LazyReply(done, () => {
        entry.seen = true
        send()
      })
    },
  }

  m.inflight++
  try {
    const value = await fn(tx)
    if (unobserved.length === 0) return value
    send()
    await replies
    for (const e of unobserved) if (!e.seen) await e.done
    return value
  } finally {
    // fn threw before awaiting a reply: EXEC was never sent and nothing ran
    m.inflight--
  }
}

/**
 * A reply that sends EXEC when first used. It is not a native Promise on purpose: `await` of a native
 * promise subscribes without calling `then`, so only a thenable of its own sees the await.
 */
class LazyReply<T> implements Promise<T> {
  readonly [Symbol.toStringTag] = 'Promise'
  readonly #p: Promise<T>
  #onUse: (() => void) | null

  constructor(p: Promise<T>, onUse: () => void) {
    this.#p = p
    this.#onUse = onUse
  }

  // biome-ignore lint/suspicious/noThenProperty: this is the thenable `await` must call
  then<A = T, B = never>(
    ok?: ((v: T) => A | PromiseLike<A>) | null,
    fail?: ((e: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    const use = this.#onUse
    this.#onUse = null
    use?.()
    return this.#p.then(ok, fail)
  }

  catch<B = never>(fail?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.then(undefined, fail)
  }

  finally(fn?: (() => void) | null): Promise<T> {
    const use = this.#onUse
    this.#onUse = null
    use?.()
    return this.#p.finally(fn)
  }
}
