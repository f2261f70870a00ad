import { randomBytes } from 'node:crypto'

/**
 * Transaction ids (was README "Transaction ids"). A request from another Skitai server carries `X-Gtxn-Id` (kept as is) and
 * `X-Ltxn-Id` (its local id + n; ours is that + 1000); a request from anybody else gets a new global id
 * and local id 1000. New ids are a per-process random prefix plus a counter: unique across processes and
 * machines without a random draw per request.
 */
const PREFIX = `GTID-${randomBytes(4).toString('hex')}-R`
let counter = 0

/** Longest global id accepted from a caller; longer or odd ones are replaced (they end up in logs). */
const MAX_GTXN_LENGTH = 128
const SAFE_ID = /^[\w.:@/+=-]+$/

export function newGtxnId(): string {
  if (++counter === Number.MAX_SAFE_INTEGER) counter = 1
  return PREFIX + counter
}

/** The caller's X-Gtxn-Id when it is a sane id, else a new one. */
export function gtxnIdOf(given: string | undefined): string {
  if (given !== undefined && given.length > 0 && given.length <= MAX_GTXN_LENGTH && SAFE_ID.test(given)) return given
  return newGtxnId()
}

/** The caller's X-Ltxn-Id + 1000, or 1000. */
export function ltxnIdOf(given: string | undefined): number {
  if (given === undefined) return 1000
  const n = Number(given)
  return Number.isSafeInteger(n) && n >= 0 && n < 1e12 ? n + 1000 : 1000
}
