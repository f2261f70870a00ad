/**
 * The Redis backend of the shared-state channel (`skitai.useRedis`, engine README "Shared state across
 * hosts"): every server naming the same Redis (and key prefix) shares `skitai.g`, model times,
 * broadcasts and revoked sessions.
 *
 * - Reads come from the local replica (a MemorySharedState), so requests never wait on Redis.
 * - Each value carries a stamp (a hybrid clock: ms time, bumped past every stamp seen) and the writer's
 *   id. Redis keeps, per key, the record with the highest (stamp, id): a Lua script compares and sets
 *   atomically and publishes the winner, so every replica applies the same last write.
 * - When Redis goes away the process keeps serving from its replica, logs it, keeps its own writes and
 *   up to `maxQueued` broadcasts. When Redis is back it reads every record from Redis (newer ones win
 *   here) and offers every record it holds (newer ones win there; a Redis restarted empty is filled
 *   again), then sends the queued broadcasts. All hosts end with the same values.
 */
import { randomUUID } from 'node:crypto'
import type { Redis, RedisOptions } from 'ioredis'
import { ioredisLib } from './lazy-client-libs.js'
import { MemorySharedState, type SharedState, type SharedValue } from './shared-state.js'

export interface RedisSharedStateOptions {
  /** Namespace of keys and channels: services sharing one Redis use different prefixes. Default 'skitai:'. */
  prefix?: string
  /** Where problems and recoveries are reported (the engine passes its server log). */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void
  /** Broadcasts kept while Redis is away, sent when it is back (oldest dropped first). Default 1000. */
  maxQueued?: number
  /** How long a deleted key's tombstone stays in Redis (so an old value cannot come back). Default 1 day. */
  tombstoneMs?: number
}

/** One key's last write: stamp, writer id, value (absent when deleted), expiry (ms since the epoch). */
interface Rec {
  t: number
  o: string
  v?: SharedValue
  x?: number
}

// KEYS[1] the record's key; ARGV: record JSON, stamp, writer id, PX ms (0: none), channel, message.
// Returns nil when the record was stored (and published), else the record Redis keeps.
const OFFER = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local c = cjson.decode(cur)
  local t = tonumber(ARGV[2])
  if c.t > t or (c.t == t and c.o >= ARGV[3]) then return cur end
end
if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
else redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return false`

type Offerer = Redis & {
  skitaiOffer(
    key: string,
    rec: string,
    t: number,
    o: string,
    px: number,
    ch: string,
    msg: string,
  ): Promise<string | null>
}

function newer(a: Rec, b: Rec | undefined): boolean {
  return b === undefined || a.t > b.t || (a.t === b.t && a.o > b.o)
}

function where(o: RedisOptions): string {
  return `${o.host ?? '127.0.0.1'}:${o.port ?? 6379}/${o.db ?? 0}`
}

/** The longest wait between two reconnect attempts to Redis. */
const RECONNECT_MAX_MS = 2000
/** How long broadcasts queued while Redis was away wait after the sync before they are sent. */
const LATE_BROADCAST_DELAY_MS = RECONNECT_MAX_MS + 500

export class RedisSharedState implements SharedState {
  readonly #local = new MemorySharedState()
  /** The last record applied per key (deleted keys too), for last-write-wins and for re-offering. */
  readonly #recs = new Map<string, Rec>()
  readonly #id = randomUUID()
  readonly #cmd: Offerer
  readonly #sub: Redis
  readonly #keyPrefix: string
  readonly #setChannel: string
  readonly #msgChannel: string
  readonly #log: NonNullable<RedisSharedStateOptions['log']>
  readonly #maxQueued: number
  readonly #tombstoneMs: number
  readonly #where: string
  #clock = 0
  #queue: string[] = []
  #dropped = 0
  #subscribed = false
  #everSynced = false
  #lost = false
  #syncing: Promise<void> | null = null
  #again = false
  #closed = false
  readonly #sweep: NodeJS.Timeout
  readonly #firstSync: Promise<void>
  #resolveFirst!: () => void

  /** `connection`: a redis:// URL or ioredis options (host, port, password, db, tls). */
  constructor(connection: string | RedisOptions, options: RedisSharedStateOptions = {}) {
    const Client = ioredisLib()
    const base: RedisOptions = {
      retryStrategy: (times: number) => Math.min(times * 200, RECONNECT_MAX_MS),
      ...(typeof connection === 'string' ? {} : connection),
      lazyConnect: true,
    }
    // Commands fail at once while Redis is away (the write stays here and is offered on reconnect).
    const cmd = (
      typeof connection === 'string'
        ? new Client(connection, { ...base, enableOfflineQueue: false, maxRetriesPerRequest: 0 })
        : new Client({ ...base, enableOfflineQueue: false, maxRetriesPerRequest: 0 })
    ) as Offerer
    // The subscriber subscribes itself at each 'ready', then catches up (#subscribe).
    const sub = (
      typeof connection === 'string'
        ? new Client(connection, { ...base, autoResubscribe: false })
        : new Client({ ...base, autoResubscribe: false })
    ) as Redis
    cmd.defineCommand('skitaiOffer', { numberOfKeys: 1, lua: OFFER })
    this.#cmd = cmd
    this.#sub = sub
    this.#where = where(cmd.options)
    const prefix = options.prefix ?? 'skitai:'
    // Pub/sub channels are not per database: the database number is part of their names.
    const ns = `${prefix}${cmd.options.db ?? 0}:`
    this.#keyPrefix = `${prefix}k:`
    this.#setChannel = `${ns}set`
    this.#msgChannel = `${ns}msg`
    this.#log = options.log ?? ((level, m) => process.emitWarning(`${level}: ${m}`))
    this.#maxQueued = options.maxQueued ?? 1000
    this.#tombstoneMs = options.tombstoneMs ?? 86_400_000
    this.#firstSync = new Promise((r) => (this.#resolveFirst = r))

    for (const c of [cmd, sub]) c.on('error', () => {}) // reported once per outage by 'close' below
    cmd.on('close', () => this.#connectionLost())
    sub.on('close', () => {
      this.#subscribed = false
      this.#connectionLost()
    })
    // Expired records (revoked sessions) leave the replica without waiting for a read.
    this.#sweep = setInterval(() => this.#prune(), 60_000)
    this.#sweep.unref()
    sub.on('ready', () => void this.#subscribe())
    cmd.on('ready', () => this.#sync())
    sub.on('message', (channel: string, text: string) => this.#onMessage(channel, text))
    void cmd.connect().catch(() => {})
    void sub.connect().catch(() => {})
  }

  /**
   * Resolves once the replica holds what Redis holds (first connect), or after `timeoutMs` with
   * `false` when Redis could not be reached (the process then serves with its own values).
   */
  ready(timeoutMs = 5000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), timeoutMs)
    })
    return Promise.race([this.#firstSync.then(() => true), late]).finally(() => clearTimeout(timer))
  }

  /** Whether the replica is in step with Redis now. */
  get connected(): boolean {
    return this.#everSynced && !this.#lost
  }

  get(key: string): SharedValue {
    return this.#local.get(key)
  }

  set(key: string, value: SharedValue, ttlMs?: number): void {
    const rec: Rec = { t: this.#tick(), o: this.#id }
    if (value !== undefined) rec.v = value
    if (ttlMs !== undefined) rec.x = Date.now() + ttlMs
    this.#apply(key, rec)
    if (this.connected) void this.#offer(key, rec)
  }

  onChange(fn: (key: string, value: SharedValue) => void): () => void {
    return this.#local.onChange(fn)
  }

  publish(topic: string, message: SharedValue): void {
    this.#local.applyRemoteMessage(topic, message)
    const text = JSON.stringify({ o: this.#id, p: topic, m: message })
    if (this.connected) this.#cmd.publish(this.#msgChannel, text).catch(() => this.#enqueue(text))
    else this.#enqueue(text)
  }

  subscribe(topic: string, fn: (message: SharedValue) => void): () => void {
    return this.#local.subscribe(topic, fn)
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#sweep)
    this.#resolveFirst()
    await Promise.allSettled([this.#syncing])
    for (const c of [this.#cmd, this.#sub]) {
      if (c.status === 'ready') await c.quit().catch(() => c.disconnect())
      else c.disconnect()
    }
  }

  // ---- replica ---------------------------------------------------------------------------------------

  #tick(): number {
    const now = Date.now()
    this.#clock = now > this.#clock ? now : this.#clock + 1
    return this.#clock
  }

  /** Apply a record if it is the newest seen for its key. */
  #apply(key: string, rec: Rec): boolean {
    if (!newer(rec, this.#recs.get(key))) return false
    if (rec.t > this.#clock) this.#clock = rec.t
    this.#recs.set(key, rec)
    if (rec.x !== undefined && rec.x <= Date.now()) {
      if (this.#local.get(key) !== undefined) this.#local.applyRemoteSet(key, undefined)
      return true
    }
    this.#local.applyRemoteSet(key, rec.v, rec.x)
    return true
  }

  #onMessage(channel: string, text: string): void {
    let m: any
    try {
      m = JSON.parse(text)
    } catch {
      return
    }
    if (m === null || typeof m !== 'object' || typeof m.o !== 'string') return
    if (channel === this.#setChannel) {
      if (typeof m.k === 'string' && typeof m.r === 'object' && m.r !== null && typeof m.r.t === 'number')
        this.#apply(m.k, m.r as Rec)
    } else if (channel === this.#msgChannel && m.o !== this.#id && typeof m.p === 'string') {
      this.#local.applyRemoteMessage(m.p, m.m)
    }
  }

  // ---- Redis -----------------------------------------------------------------------------------------

  /** Offer a record to Redis; when Redis holds a newer one, apply that here. */
  async #offer(key: string, rec: Rec): Promise<void> {
    const now = Date.now()
    let px = 0
    if (rec.x !== undefined) {
      px = rec.x - now
      if (px <= 0) return
    } else if (rec.v === undefined) px = this.#tombstoneMs
    const text = JSON.stringify(rec)
    try {
      const kept = await this.#cmd.skitaiOffer(
        this.#keyPrefix + key,
        text,
        rec.t,
        rec.o,
        px,
        this.#setChannel,
        JSON.stringify({ o: this.#id, k: key, r: rec }),
      )
      if (kept !== null) this.#apply(key, JSON.parse(kept) as Rec)
    } catch {
      // Redis went away: the record stays in the replica and is offered again at the next sync.
    }
  }

  async #subscribe(): Promise<void> {
    try {
      await this.#sub.subscribe(this.#setChannel, this.#msgChannel)
      this.#subscribed = true
      this.#sync()
    } catch {
      // the connection dropped again; 'ready' comes back with it
    }
  }

  #connectionLost(): void {
    if (this.#closed || !this.#everSynced || this.#lost) return
    this.#lost = true
    this.#log('warn', `shared state: lost Redis at ${this.#where}; serving with this process's values until it is back`)
  }

  /** Catch up with Redis, once both connections are up (the subscription first, so no change slips by). */
  #sync(): void {
    if (this.#closed || !this.#subscribed || this.#cmd.status !== 'ready') return
    if (this.#syncing !== null) {
      this.#again = true
      return
    }
    this.#syncing = this.#catchUp()
      .then(
        (counts) => {
          const first = !this.#everSynced
          const wasLost = this.#lost
          this.#everSynced = true
          this.#lost = false
          this.#resolveFirst()
          if (wasLost || first)
            this.#log(
              'info',
              `shared state: ${first ? 'joined' : 'back on'} Redis at ${this.#where} (${counts.in} values taken, ${counts.out} offered${counts.sent ? `, ${counts.sent} broadcasts sent late` : ''}${counts.dropped ? `, ${counts.dropped} broadcasts dropped` : ''})`,
            )
        },
        () => {}, // dropped mid-way: the next 'ready' syncs again
      )
      .finally(() => {
        this.#syncing = null
        if (this.#again) {
          this.#again = false
          this.#sync()
        }
      })
  }

  async #catchUp(): Promise<{ in: number; out: number; sent: number; dropped: number }> {
    let taken = 0
    let stream = '0'
    do {
      const [next, keys] = await this.#cmd.scan(stream, 'MATCH', `${this.#keyPrefix}*`, 'COUNT', 500)
      stream = next
      if (keys.length === 0) continue
      const texts = await this.#cmd.mget(...keys)
      keys.forEach((k, i) => {
        const text = texts[i]
        if (text == null) return
        try {
          if (this.#apply(k.slice(this.#keyPrefix.length), JSON.parse(text) as Rec)) taken++
        } catch {}
      })
    } while (stream !== '0')
    this.#prune()
    const offers: Array<Promise<void>> = []
    for (const [key, rec] of this.#recs) offers.push(this.#offer(key, rec))
    await Promise.all(offers)
    const queued = this.#queue
    this.#queue = []
    // Redis keeps no pub/sub message for a subscriber that is not there: the other hosts that lost Redis
    // in the same outage resubscribe within one reconnect attempt (at most 2 s apart, retryStrategy above),
    // so the late broadcasts wait that long first
    if (queued.length > 0) await new Promise((r) => setTimeout(r, LATE_BROADCAST_DELAY_MS).unref())
    for (let i = 0; i < queued.length; i++) {
      try {
        await this.#cmd.publish(this.#msgChannel, queued[i] as string)
      } catch (e) {
        // the connection dropped again: the unsent ones wait for the next sync
        this.#queue = [...queued.slice(i), ...this.#queue]
        throw e
      }
    }
    const dropped = this.#dropped
    this.#dropped = 0
    return { in: taken, out: offers.length, sent: queued.length, dropped }
  }

  #prune(): void {
    const now = Date.now()
    for (const [key, rec] of this.#recs) {
      if (rec.x === undefined || rec.x > now) continue
      this.#recs.delete(key)
      this.#local.get(key) // drops the expired value
    }
  }

  #enqueue(text: string): void {
    this.#queue.push(text)
    if (this.#queue.length > this.#maxQueued) {
      this.#queue.shift()
      this.#dropped++
    }
  }
}
