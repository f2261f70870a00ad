// Reading a V8 .cpuprofile (node --cpu-prof): self time per function, heaviest first.
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'

/**
 * @returns {{ busyMs: number, top: Array<{ name: string, where: string, selfMs: number, percent: number }> }}
 */
export function selfTimes(file, root, limit = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map()
  const deltas = profile.timeDeltas ?? []
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0))
  }
  const grouped = new Map()
  let total = 0
  for (const [id, us] of selfUs) {
    const f = byId.get(id).callFrame
    // time waiting in epoll is not work: percentages are of the busy time
    if (f.functionName === '(idle)') continue
    const url = f.url.startsWith('file://') ? relative(root, new URL(f.url).pathname) : f.url
    const where = url ? `${url}:${f.lineNumber + 1}` : ''
    const name = f.functionName || '(anonymous)'
    const key = `${name} ${where}`
    const g = grouped.get(key) ?? { name, where, selfUs: 0 }
    g.selfUs += us
    grouped.set(key, g)
    total += us
  }
  const top = [...grouped.values()]
    .sort((a, b) => b.selfUs - a.selfUs)
    .slice(0, limit)
    .map((g) => ({ name: g.name, where: g.where, selfMs: g.selfUs / 1000, percent: (100 * g.selfUs) / total }))
  return { busyMs: total / 1000, top }
}
