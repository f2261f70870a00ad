/**
 * Choosing members (README "Aliases"). `.lb`: smooth weighted round-robin (nginx's algorithm) over the live
 * members, where a member's weight is divided by its current load, so a busy member is picked less.
 * undici's BalancedPool is not used for this: it has no static weights, never ejects a dead member
 * (it keeps weight ≥ 1 and still gets traffic) and has no fail-over of its own; member.ts keeps an
 * undici Pool per member instead, and call.ts / proxy retry on another member.
 */
import type { Cluster } from './aliases.js'
import type { Member } from './member.js'

/** One member for the next call, skipping those marked down and those in `exclude`. */
export function pickMember(cluster: Cluster, exclude: readonly Member[] | null): Member | null {
  const members = cluster.members
  if (members.length === 1) {
    const only = members[0] as Member
    return exclude?.includes(only) ? null : only
  }
  let best: Member | null = null
  let bestCw = 0
  let total = 0
  for (let i = 0; i < members.length; i++) {
    const m = members[i] as Member
    if (m.down || exclude?.includes(m)) continue
    const eff = m.weight / (1 + m.inflight)
    const cw = m.cw + eff
    m.cw = cw
    total += eff
    if (best === null || cw > bestCw) {
      best = m
      bestCw = cw
    }
  }
  if (best !== null) {
    best.cw = bestCw - total
    return best
  }
  // Every member is marked down: try one anyway (in turn), it may be back before its probe noticed.
  for (let i = 0; i < members.length; i++) {
    const m = members[(cluster.rr + i) % members.length] as Member
    if (exclude === null || !exclude.includes(m)) {
      cluster.rr = (cluster.rr + i + 1) % members.length
      return m
    }
  }
  return null
}

/** Members for a `.map` call: every live one, or every one when all are marked down. */
export function mapMembers(cluster: Cluster): readonly Member[] {
  const live = cluster.liveMembers()
  return live.length > 0 ? live : cluster.members
}
