/**
 * The cluster backend of the shared-state channel (README "Workers", shared state): the master holds the
 * authoritative values and relays every change and broadcast to the other workers; each worker keeps a
 * local replica, so reads stay synchronous. A worker asks for a snapshot at start and serves only once
 * it has it (a respawned worker must not reset what the others changed).
 */
import type { Worker } from 'node:cluster'
import { MemorySharedState, type SharedState, type SharedValue } from '@skitai/was'
import { isStateMessage, STATE, type StateMessage } from './messages.js'

/** Worker side: a replica fed by the master; local writes apply at once and go to the master. */
export class ClusterSharedState implements SharedState {
  readonly #replica = new MemorySharedState()
  readonly #onMessage: (m: unknown) => void
  #gotSnapshot: () => void = () => {}
  readonly #snapshot: Promise<void>

  constructor() {
    this.#snapshot = new Promise((resolve) => {
      this.#gotSnapshot = resolve
    })
    this.#onMessage = (m) => {
      if (isStateMessage(m)) this.#apply(m)
    }
    process.on('message', this.#onMessage)
  }

  /** Ask the master for every value it holds; resolves when they are in the replica (false on timeout). */
  async join(timeoutMs: number): Promise<boolean> {
    send({ type: STATE, op: 'hello' })
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs)
    })
    const ok = await Promise.race([this.#snapshot.then(() => true as const), timedOut])
    clearTimeout(timer)
    return ok
  }

  #apply(m: StateMessage): void {
    // JSON over IPC turns an absent expiry into null (in the snapshot's arrays): no expiry
    if (m.op === 'set') this.#replica.applyRemoteSet(m.key, m.value, m.expiresAt ?? undefined)
    else if (m.op === 'pub') this.#replica.applyRemoteMessage(m.topic, m.message)
    else if (m.op === 'snapshot') {
      for (const [key, value, expiresAt] of m.entries) this.#replica.applyRemoteSet(key, value, expiresAt ?? undefined)
      this.#gotSnapshot()
    }
  }

  get(key: string): SharedValue {
    return this.#replica.get(key)
  }

  set(key: string, value: SharedValue, ttlMs?: number): void {
    const expiresAt = ttlMs === undefined ? undefined : Date.now() + ttlMs
    this.#replica.applyRemoteSet(key, value, expiresAt)
    send({ type: STATE, op: 'set', key, value, expiresAt })
  }

  onChange(fn: (key: string, value: SharedValue) => void): () => void {
    return this.#replica.onChange(fn)
  }

  publish(topic: string, message: SharedValue): void {
    // delivered here at once, and by the master to every other worker
    this.#replica.applyRemoteMessage(topic, message)
    send({ type: STATE, op: 'pub', topic, message })
  }

  subscribe(topic: string, fn: (message: SharedValue) => void): () => void {
    return this.#replica.subscribe(topic, fn)
  }

  async close(): Promise<void> {
    process.off('message', this.#onMessage)
  }
}

function send(m: StateMessage): void {
  // the channel is gone when the master died; this worker is about to exit then
  if (process.connected) process.send?.(m)
}

/** Master side: the authoritative values and the relay to the workers that have joined. */
export class SharedStateHub {
  readonly values = new MemorySharedState()
  readonly #joined = new Set<Worker>()

  /** Handle a worker's `skitai:state` message; false when `m` is not one. */
  handle(from: Worker, m: unknown): boolean {
    if (!isStateMessage(m)) return false
    if (m.op === 'hello') {
      this.#joined.add(from)
      sendTo(from, { type: STATE, op: 'snapshot', entries: this.values.snapshot() })
    } else if (m.op === 'set') {
      this.values.applyRemoteSet(m.key, m.value, m.expiresAt ?? undefined)
      this.#relay(from, m)
    } else if (m.op === 'pub') this.#relay(from, m)
    return true
  }

  /** A worker that exited gets nothing more. */
  leave(worker: Worker): void {
    this.#joined.delete(worker)
  }

  #relay(from: Worker, m: StateMessage): void {
    for (const w of this.#joined) if (w !== from) sendTo(w, m)
  }
}

function sendTo(w: Worker, m: StateMessage): void {
  if (w.isConnected()) w.send(m)
}
