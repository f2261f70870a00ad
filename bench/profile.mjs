#!/usr/bin/env node
// Profile one bench server under load: `node bench/profile.mjs --server saddle --only hello,json`.
// The server runs with `node --cpu-prof` (pinned like in the bench), autocannon drives each scenario
// for --duration seconds, the server is stopped with SIGTERM (the profile is written on exit) and the
// heaviest functions by self time are printed. The .cpuprofile files stay in $TMPDIR/skitai-profiles/
// (open them in Chrome DevTools for a flame graph).
import { mkdirSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { selfTimes } from './lib/cpuprofile.mjs'
import { cpuPlan, pinSelf } from './lib/cpus.mjs'
import { loadRound } from './lib/load.mjs'
import { freePort, startBackends, startServer } from './lib/procs.mjs'
import { SCENARIOS } from './scenarios/index.mjs'
import { SERVERS } from './scenarios/servers.mjs'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const args = process.argv.slice(2)
const arg = (name, dflt) => {
  const i = args.indexOf(name)
  return i < 0 ? dflt : args[i + 1]
}
const serverId = arg('--server', 'saddle')
const only = arg('--only', 'hello,json,params,post').split(',')
const duration = Number(arg('--duration', '10'))
const pipelining = Number(arg('--pipelining', '10'))
const top = Number(arg('--top', '25'))
// sampling interval in µs (node's default is 1000): finer sampling resolves sub-µs differences per request
const interval = Number(arg('--interval', '1000'))

const def = SERVERS.find((s) => s.id === serverId)
if (!def) throw new Error(`unknown server ${serverId}`)
const plan = cpuPlan()
if (plan.taskset) pinSelf(plan.bench)
const env = {
  BENCH_BACKEND: `http://127.0.0.1:${await freePort()}/`,
  BENCH_MAP_MEMBERS: (await Promise.all([0, 1, 2].map(freePort))).map((p) => `127.0.0.1:${p}`).join(','),
}
const stopBackends = only.some((id) => id === 'was-get' || id === 'map')
  ? await startBackends(plan.backend, env)
  : () => {}

for (const id of only) {
  const sc = SCENARIOS.find((s) => s.id === id)
  if (!sc || sc.kind === 'idle') throw new Error(`cannot profile scenario ${id}`)
  const dir = join(tmpdir(), 'skitai-profiles', `${serverId}-${id}-${Date.now()}`)
  mkdirSync(dir, { recursive: true })
  const profiled = { ...def, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${interval}`] }
  const s = await startServer(profiled, { cpu: plan.server, source: args.includes('--source'), env })
  if (s.status !== 'ready') throw new Error(`${serverId}: ${s.status} ${s.reason}`)
  const r = await loadRound({ port: s.port, request: sc.request, connections: 100, pipelining, duration })
  await s.stop('SIGTERM')
  const file = join(
    dir,
    readdirSync(dir).find((f) => f.endsWith('.cpuprofile')),
  )
  const { busyMs, top: rows } = selfTimes(file, ROOT, top)
  console.log(`\n== ${serverId} · ${sc.n} ${sc.id} · ${Math.round(r.rps)} req/s · profile ${file}`)
  console.log(`${(busyMs / 1000).toFixed(1)} s busy (idle excluded); self time, heaviest first:`)
  for (const row of rows) {
    console.log(
      `${row.percent.toFixed(1).padStart(5)} %  ${row.selfMs.toFixed(0).padStart(6)} ms  ${row.name}  ${row.where}`,
    )
  }
}
stopBackends()
