import type { Session } from './session.js'

/** A flash message as stored in the session and returned by `was.mbox.get()`. */
export interface Message {
  id: number
  msg: string
  category: string
  /** Epoch seconds when sent. */
  created: number
  /** Epoch seconds after which it is gone; 0 = gone once read. */
  validUntil: number
  extra: Record<string, unknown> | null
}

interface Box {
  seq: number
  items: Message[]
}

const KEY = 'mbox'

/**
 * `was.mbox`: flash messages kept in the session, so they survive a redirect. A message sent with
 * `validSeconds = 0` is delivered once; with `validSeconds > 0` it is shown until it expires.
 */
export class MessageBox {
  private readonly session: Session

  constructor(session: Session) {
    this.session = session
  }

  /** Queue a message; returns its id (for `remove`). */
  send(msg: string, category = 'info', validSeconds = 0, extra?: Record<string, unknown>): number {
    if (!Number.isFinite(validSeconds) || validSeconds < 0) {
      throw new TypeError(`mbox.send: validSeconds must be >= 0, not ${validSeconds}`)
    }
    const box = this.box()
    const now = Math.floor(Date.now() / 1000)
    const id = ++box.seq
    box.items.push({
      id,
      msg: String(msg),
      category,
      created: now,
      validUntil: validSeconds > 0 ? now + Math.ceil(validSeconds) : 0,
      extra: extra ?? null,
    })
    this.session.setSys(KEY, box)
    return id
  }

  /** Messages (of one category, or all), oldest first; read-once messages are removed by reading. */
  get(category?: string): Message[] {
    const stored = this.session.getSys(KEY) as Box | undefined
    if (stored === undefined || stored.items.length === 0) return []
    const now = Math.floor(Date.now() / 1000)
    const out: Message[] = []
    const keep: Message[] = []
    let changed = false
    for (const m of stored.items) {
      if (m.validUntil !== 0 && m.validUntil < now) {
        changed = true
        continue
      }
      const wanted = category === undefined || m.category === category
      if (wanted) out.push(m)
      if (wanted && m.validUntil === 0) changed = true
      else keep.push(m)
    }
    if (changed) this.session.setSys(KEY, keep.length ? { seq: stored.seq, items: keep } : undefined)
    return out
  }

  remove(id: number): boolean {
    const stored = this.session.getSys(KEY) as Box | undefined
    if (stored === undefined) return false
    const items = stored.items.filter((m) => m.id !== id)
    if (items.length === stored.items.length) return false
    this.session.setSys(KEY, items.length ? { seq: stored.seq, items } : undefined)
    return true
  }

  private box(): Box {
    const stored = this.session.getSys(KEY) as Box | undefined
    return stored === undefined ? { seq: 0, items: [] } : { seq: stored.seq, items: stored.items.slice() }
  }
}
