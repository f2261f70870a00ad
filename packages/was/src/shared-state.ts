/**
 * The shared-state channel: what every process serving one service must agree on — `skitai.g` values,
 * model update times (`setlu`/`getlu`), `was.broadcast` events, result-cache invalidation, revoked
 * sessions. Callers talk only to this interface; the backend decides how far a change travels:
 *
 * - `MemorySharedState` (the default): this process only.
 * - a cluster backend (engine, through the master): every worker of one server.
 * - a Redis backend (`skitai.useRedis`): every server on that Redis.
 *
 * Values and messages must be JSON-serializable. Reads are synchronous from a local replica, so the hot
 * path never waits on the network; writes apply locally at once and propagate in the background.
 */
export type SharedValue = unknown

export interface SharedState {
  /** The local replica's value, or undefined. */
  get(key: string): SharedValue
  /**
   * Set a value here at once and in every other process as soon as the backend can. `ttlMs` makes the
   * key vanish after that long (revoked session ids live until the session's own expiry).
   */
  set(key: string, value: SharedValue, ttlMs?: number): void
  /** Called for every change of any key, local or remote (after the replica holds the new value). */
  onChange(fn: (key: string, value: SharedValue) => void): () => void
  /** Deliver `message` to the subscribers of `topic` in every process, this one included, once each. */
  publish(topic: string, message: SharedValue): void
  subscribe(topic: string, fn: (message: SharedValue) => void): () => void
  /** Release connections and timers (shutdown). */
  close(): Promise<void>
}

type ChangeFn = (key: string, value: SharedValue) => void
type TopicFn = (message: SharedValue) => void

function callSafely(fn: () => void, what: string): void {
  try {
    fn()
  } catch (e) {
    // One broken listener must not stop the change reaching the others.
    process.emitWarning(`${what} listener failed: ${(e as Error)?.message ?? e}`)
  }
}

/**
 * The in-process backend, and the local replica the distributed backends build on: `applyRemote*`
 * let a backend feed in what arrived from elsewhere without echoing it back out.
 */
export class MemorySharedState implements SharedState {
  readonly #values = new Map<string, SharedValue>()
  readonly #expiry = new Map<string, number>()
  readonly #changeFns = new Set<ChangeFn>()
  readonly #topics = new Map<string, Set<TopicFn>>()

  get(key: string): SharedValue {
    const until = this.#expiry.get(key)
    if (until !== undefined && until <= Date.now()) {
      this.#values.delete(key)
      this.#expiry.delete(key)
      return undefined
    }
    return this.#values.get(key)
  }

  set(key: string, value: SharedValue, ttlMs?: number): void {
    this.applyRemoteSet(key, value, ttlMs === undefined ? undefined : Date.now() + ttlMs)
  }

  /** Store a value that came from another process (`expiresAt` in ms since the epoch). */
  applyRemoteSet(key: string, value: SharedValue, expiresAt?: number): void {
    if (value === undefined) {
      this.#values.delete(key)
      this.#expiry.delete(key)
    } else {
      this.#values.set(key, value)
      if (expiresAt === undefined) this.#expiry.delete(key)
      else this.#expiry.set(key, expiresAt)
    }
    for (const fn of this.#changeFns) callSafely(() => fn(key, value), 'shared-state change')
  }

  /** Every live key with its expiry, for a backend that hands a snapshot to a new process. */
  snapshot(): Array<[key: string, value: SharedValue, expiresAt: number | undefined]> {
    const out: Array<[string, SharedValue, number | undefined]> = []
    for (const key of this.#values.keys()) {
      const value = this.get(key)
      if (value !== undefined) out.push([key, value, this.#expiry.get(key)])
    }
    return out
  }

  onChange(fn: ChangeFn): () => void {
    this.#changeFns.add(fn)
    return () => this.#changeFns.delete(fn)
  }

  publish(topic: string, message: SharedValue): void {
    this.applyRemoteMessage(topic, message)
  }

  /** Deliver a message that came from another process to this process's subscribers. */
  applyRemoteMessage(topic: string, message: SharedValue): void {
    const fns = this.#topics.get(topic)
    if (fns === undefined) return
    for (const fn of fns) callSafely(() => fn(message), `topic ${topic}`)
  }

  subscribe(topic: string, fn: TopicFn): () => void {
    let fns = this.#topics.get(topic)
    if (fns === undefined) {
      fns = new Set()
      this.#topics.set(topic, fns)
    }
    fns.add(fn)
    return () => fns.delete(fn)
  }

  async close(): Promise<void> {}
}

/**
 * The process's channel: a stable front that forwards to the installed backend. Listeners registered
 * through it (Saddle's broadcast bus, the model-change forwarding, `skitai.g` watchers) are moved to a
 * new backend when `setSharedState` installs one, so apps may subscribe before `run()` picks the backend.
 */
class SharedChannel implements SharedState {
  backend: SharedState = new MemorySharedState()
  readonly #changeFns = new Set<ChangeFn>()
  readonly #topics = new Map<string, Set<TopicFn>>()
  #detach: Array<() => void> = []

  get(key: string): SharedValue {
    return this.backend.get(key)
  }

  set(key: string, value: SharedValue, ttlMs?: number): void {
    this.backend.set(key, value, ttlMs)
  }

  publish(topic: string, message: SharedValue): void {
    this.backend.publish(topic, message)
  }

  onChange(fn: ChangeFn): () => void {
    if (this.#changeFns.size === 0) this.#attachChanges()
    this.#changeFns.add(fn)
    return () => this.#changeFns.delete(fn)
  }

  subscribe(topic: string, fn: TopicFn): () => void {
    let fns = this.#topics.get(topic)
    if (fns === undefined) {
      fns = new Set()
      this.#topics.set(topic, fns)
      this.#attachTopic(topic, fns)
    }
    fns.add(fn)
    return () => fns.delete(fn)
  }

  close(): Promise<void> {
    return this.backend.close()
  }

  /** Install `next`, moving every listener over to it. */
  rebind(next: SharedState): void {
    for (const off of this.#detach) off()
    this.#detach = []
    this.backend = next
    if (this.#changeFns.size > 0) this.#attachChanges()
    for (const [topic, fns] of this.#topics) this.#attachTopic(topic, fns)
  }

  #attachChanges(): void {
    const fns = this.#changeFns
    this.#detach.push(
      this.backend.onChange((key, value) => {
        for (const fn of fns) callSafely(() => fn(key, value), 'shared-state change')
      }),
    )
  }

  #attachTopic(topic: string, fns: Set<TopicFn>): void {
    this.#detach.push(
      this.backend.subscribe(topic, (message) => {
        for (const fn of fns) callSafely(() => fn(message), `topic ${topic}`)
      }),
    )
  }
}

const channel = new SharedChannel()

/**
 * The process's channel. It stays the same object when the backend changes (listeners move along);
 * `sharedBackend()` gives the backend itself.
 */
export function sharedState(): SharedState {
  return channel
}

/** The backend installed now (the memory one until the engine installs a cluster or Redis backend). */
export function sharedBackend(): SharedState {
  return channel.backend
}

/**
 * Install a backend (before `run()` serves requests). Listeners registered through `sharedState()` move
 * to it; values are not copied (a backend starts from what its peers hold). Returns the previous one,
 * which the caller may close.
 */
export function setSharedState(backend: SharedState): SharedState {
  const previous = channel.backend
  if (backend !== previous) channel.rebind(backend)
  return previous
}
