/**
 * The 'session' spec (README "WebSocket routes"): one generator per connection keeps the
 * conversation's state in its own variables. A bare `const msg = yield` waits for the next message and
 * receives it; `yield value` sends value and goes on at once; returning closes with 1000. Async
 * generators work the same (`yield await was.get(...)`). Messages that arrive while the generator is
 * busy wait in order; past a few dozen the connection stops reading until they are taken.
 */
import { isThenable } from '../thenable.js'

/** What the driver needs of its connection (session.ts). */
export interface GeneratorHost {
  reply(v: unknown, toRoom: boolean): void
  failed(e: unknown): void
  close(code?: number, reason?: string): void
  /** Stop / restart reading from the client. */
  pause(): void
  resume(): void
}

const INBOX_HIGH = 64

export class GeneratorDriver {
  private waiting = false
  private running = false
  private done = false
  private readonly inbox: unknown[] = []
  private paused = false

  constructor(
    private readonly host: GeneratorHost,
    private readonly gen: Generator | AsyncGenerator | undefined,
  ) {
    if (gen === undefined) this.done = true // creating it threw: the connection is already closing
  }

  /** A message from the client. */
  push(msg: unknown): void {
    if (this.done) return
    if (this.waiting) {
      this.waiting = false
      this.next(msg)
      return
    }
    this.inbox.push(msg)
    if (this.inbox.length >= INBOX_HIGH && !this.paused) {
      this.paused = true
      this.host.pause()
    }
  }

  /** Runs the generator until it waits for a message (a bare `yield`), returns or throws. */
  async next(input: unknown): Promise<void> {
    if (this.done || this.running) return
    this.running = true
    try {
      for (;;) {
        let r = this.gen!.next(input) as IteratorResult<unknown> | Promise<IteratorResult<unknown>>
        if (isThenable(r)) r = await r
        if (this.done) return
        if (r.done) {
          this.done = true
          this.host.close(1000, '')
          return
        }
        let v = r.value
        if (isThenable(v)) v = await v
        input = undefined
        if (v !== undefined) {
          this.host.reply(v, false)
          continue
        }
        if (this.inbox.length > 0) {
          input = this.inbox.shift()
          if (this.paused && this.inbox.length < INBOX_HIGH / 2) {
            this.paused = false
            this.host.resume()
          }
          continue
        }
        this.waiting = true
        return
      }
    } catch (e) {
      this.done = true
      this.host.failed(e)
    } finally {
      this.running = false
    }
  }

  /** The connection closed: the generator's `finally` blocks run. */
  stop(): void {
    if (this.done) return
    this.done = true
    if (this.running) return // it sees `done` at its next step
    try {
      const r = this.gen!.return(undefined)
      if (isThenable(r)) (r as Promise<unknown>).catch(() => {})
    } catch {
      // a generator that throws from its finally block: nothing left to answer
    }
  }
}
