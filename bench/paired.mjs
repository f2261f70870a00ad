#!/usr/bin/env node
// Paired rounds: the servers under load AT THE SAME TIME, on the same CPU, each driven by its own
// autocannon with the same connections and pipelining, and their CPU time per request compared round by
// round. On this shared VM a slow spell (another VM on the host) slows every server of a round alike, so
// the per-round ratio holds steady where alternating rounds (run.mjs) can land one server in a slow spell
// and the next in a quiet one. It compares cost, not throughput: the servers share one core, so each
// one's req/s is its share. A complement to `npm run bench`, not part of it:
//
//   node bench/paired.mjs --only hello,json,params,post --servers node-http,fastify,saddle [--rounds 5]
//        [--duration 4] [--pipelining 10,1] [--connections 50]
//
// The first server is the baseline of the ratios. Prints, per scenario and pipelining factor, each
// server's median CPU µs per request and the median over rounds of its per-round ratio to the baseline.
import { cpuPlan, pinSelf } from './lib/cpus.mjs'
import { loadRound } from './lib/load.mjs'
import { cpuSecondsOf, freePort, startBackends, startServer } from './lib/procs.mjs'
import { SCENARIOS } from './scenarios/index.mjs'
import { SERVERS } from './scenarios/servers.mjs'

const args = process.argv.slice(2)
const arg = (name, dflt) => {
  const i = args.indexOf(name)
  return i < 0 ? dflt : args[i + 1]
}
const only = arg('--only', 'hello,json,params,post').split(',')
const serverIds = arg('--servers', 'node-http,fastify,saddle').split(',')
const rounds = Number(arg('--rounds', '5'))
const duration = Number(arg('--duration', '4'))
const pipelinings = arg('--pipelining', '10,1').split(',').map(Number)
const connections = Number(arg('--connections', '50'))

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const plan = cpuPlan()
if (plan.taskset) pinSelf(plan.bench)
const env = {
  BENCH_BACKEND: `http://127.0.0.1:${await freePort()}/`,
  BENCH_MAP_MEMBERS: (await Promise.all([0, 1, 2].map(freePort))).map((p) => `127.0.0.1:${p}`).join(','),
}
const stopBackends = only.includes('was-get') ? await startBackends(plan.backend, env) : () => {}

const servers = []
for (const id of serverIds) {
  const def = SERVERS.find((s) => s.id === id)
  if (!def) throw new Error(`unknown server ${id} (one of ${SERVERS.map((s) => s.id).join(', ')})`)
  const s = await startServer(def, { cpu: plan.server, source: args.includes('--source'), env })
  if (s.status !== 'ready') throw new Error(`${id}: ${s.status} ${s.reason ?? ''}`)
  servers.push({ id, ...s })
}

console.log(
  `paired rounds: ${serverIds.join(', ')} loaded together on CPU ${plan.server ?? '(unpinned)'}; ` +
    `${connections} connections each, ${rounds} × ${duration} s; ratios to ${serverIds[0]}`,
)
try {
  for (const scId of only) {
    const sc = SCENARIOS.find((s) => s.id === scId)
    if (!sc || sc.kind !== 'throughput') throw new Error(`cannot pair scenario ${scId}`)
    for (const pipelining of pipelinings) {
      const round = (d) =>
        Promise.all(
          servers.map((s) => loadRound({ port: s.port, request: sc.request, connections, pipelining, duration: d })),
        )
      await round(2) // warm-up
      const cost = servers.map(() => [])
      for (let r = 0; r < rounds; r++) {
        const before = servers.map((s) => cpuSecondsOf(s.pid))
        const res = await round(duration)
        servers.forEach((s, i) => {
          const bad = res[i].errors + res[i].non2xx
          if (bad > 0) throw new Error(`${s.id} ${scId}: ${bad} errors or non-2xx answers`)
          cost[i].push(((cpuSecondsOf(s.pid) - before[i]) * 1e6) / res[i].requests)
        })
      }
      console.log(`\n${sc.n} ${scId}, pipelining ${pipelining}`)
      servers.forEach((s, i) => {
        const ratios = cost[i].map((c, r) => c / cost[0][r])
        console.log(
          `  ${s.id.padEnd(14)} CPU µs/req ${median(cost[i]).toFixed(1).padStart(6)}   × ${serverIds[0]}: ` +
            `${median(ratios).toFixed(3)}  (rounds ${ratios.map((x) => x.toFixed(2)).join(' ')})`,
        )
      })
    }
  }
} finally {
  for (const s of servers) await s.stop()
  stopBackends()
}
