// Host noise: the share of CPU time the hypervisor handed to other guests ("steal", /proc/stat) while
// a round ran. On a shared machine it is the one figure that tells a quiet run from a disturbed one,
// so it is recorded per round and printed with the results. null where /proc/stat is not readable.
import { readFileSync } from 'node:fs'

/** The machine's cumulative CPU times (all cores), or null off Linux. */
export function cpuTimes() {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number)
    if (f.length < 8 || f.some(Number.isNaN)) return null
    return { steal: f[7], total: f.reduce((a, b) => a + b, 0) }
  } catch {
    return null
  }
}

/** Stolen share (0..1) of the CPU time between two cpuTimes() readings. */
export function stealShare(before, after) {
  if (before === null || after === null || after.total <= before.total) return null
  return (after.steal - before.steal) / (after.total - before.total)
}
