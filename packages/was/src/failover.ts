/**
 * The one fail-over policy of cluster calls (README "Aliases and load balancing"), used by `was` calls
 * (call.ts) and the engine's `@alias` reverse proxy alike: which errors mark a member down, which
 * requests may be sent again, and to which member.
 */
import { pickMember } from './balance.js'
import type { Cluster } from './aliases.js'
import type { Member } from './member.js'

/** Methods a server may receive twice without harm (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

/** Errors raised before any byte was sent: always safe to try another member. */
export const CONNECT_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
])

/** The connection dropped: the request may have been received, so only idempotent ones are sent again. */
export const DROP_ERRORS: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'])

/** What to do after an attempt failed before any answer came: nothing, mark the member down, or that and retry. */
export type FailoverAction = 'none' | 'mark-down' | 'retry-elsewhere'

/**
 * The action for an attempt that failed with error `code` before the member answered. `resendable`:
 * whether the request can be sent again as it was after a connection error (nothing of it left), and
 * after a dropped connection (its body, if any, is still at hand).
 */
export function failoverAction(
  code: string,
  method: string,
  resendable: { afterConnectError: boolean; afterDrop: boolean },
): FailoverAction {
  if (CONNECT_ERRORS.has(code)) return resendable.afterConnectError ? 'retry-elsewhere' : 'mark-down'
  if (DROP_ERRORS.has(code)) {
    return resendable.afterDrop && IDEMPOTENT_METHODS.has(method) ? 'retry-elsewhere' : 'mark-down'
  }
  return 'none'
}

/**
 * The member to try next after `failed`, which joins `tried` (the list is created on the first
 * failure); null when every member was tried or is down.
 */
export function nextMember(cluster: Cluster, tried: Member[], failed: Member): Member | null {
  tried.push(failed)
  return pickMember(cluster, tried)
}
