#!/usr/bin/env node
// The database bench: `was.db('@pg').execute('SELECT 1')` in a Saddle route vs the same route calling a
// `pg` Pool directly, side by side on one real PostgreSQL server started here (rounds alternate, the best
// counts; target ≥ 0.9×), and the same route on an embedded PGlite member. Run it with the project's
// TypeScript loader (it reuses the tests' server helpers):
//   node --import ./packages/engine/bin/register.mjs bench/db.mjs [--quick] [--write]
// --write replaces its section of bench/RESULTS.md.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ensureBuilt } from './lib/build.mjs'
import { cpuPlan, pinSelf } from './lib/cpus.mjs'
import { loadRound } from './lib/load.mjs'
import { cpuSecondsOf, rssOf, startServer } from './lib/procs.mjs'

const quick = process.argv.includes('--quick')
const size = quick
  ? { connections: 10, seconds: 1, warmup: 1, rounds: 1 }
  : { connections: 50, seconds: 10, warmup: 3, rounds: 3 }
const ROUTES = [
  { id: 'was.db', path: '/db' },
  { id: 'pg Pool', path: '/pool' },
  { id: 'was.db PGlite', path: '/pglite' },
]

ensureBuilt()
const plan = cpuPlan()
if (plan.taskset) pinSelf(plan.bench)
const { startPostgres } = await import('../packages/was/test/db-servers.ts')
const pg = await startPostgres()
let server
const out = { date: new Date().toISOString(), size, routes: {} }
try {
  server = await startServer(
    { script: 'saddle-db.mjs', skitai: true },
    {
      cpu: plan.server,
      source: false,
      env: { BENCH_PG_MEMBER: pg.member(), BENCH_PG_CONFIG: JSON.stringify(pg.config()) },
    },
  )
  if (server.status !== 'ready') throw new Error(`bench server: ${server.status} ${server.reason}`)
  const one = (path, seconds) =>
    loadRound({ port: server.port, request: { path }, connections: size.connections, pipelining: 1, duration: seconds })
  for (const r of ROUTES) {
    // the first PGlite statement starts the embedded database (seconds): outside the measured rounds
    const first = await fetch(`http://127.0.0.1:${server.port}${r.path}`)
    const body = await first.text()
    if (first.status !== 200 || body !== '[{"one":1}]') throw new Error(`${r.path}: ${first.status} ${body}`)
    await one(r.path, size.warmup)
    out.routes[r.id] = { best: 0, rounds: [], cpuUsPerReq: null, p50: null, p99: null, errors: 0 }
  }
  for (let round = 0; round < size.rounds; round++) {
    for (const r of ROUTES) {
      const cpu0 = cpuSecondsOf(server.pid)
      const res = await one(r.path, size.seconds)
      const cpu1 = cpuSecondsOf(server.pid)
      const cpuUs = cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) * 1e6) / res.requests
      const o = out.routes[r.id]
      o.rounds.push(Math.round(res.rps))
      o.errors += res.errors + res.non2xx + res.timeouts
      if (res.rps > o.best) {
        o.best = Math.round(res.rps)
        o.p50 = res.latency.p50
        o.p99 = res.latency.p99
      }
      if (cpuUs !== null) o.cpuUsPerReq = Math.min(o.cpuUsPerReq ?? cpuUs, cpuUs)
      console.log(
        `${r.id.padEnd(14)} round ${round + 1}: ${Math.round(res.rps)} req/s, server CPU ${cpuUs?.toFixed(1)} µs/req`,
      )
    }
  }
  out.rssMb = (rssOf(server.pid) ?? 0) / 2 ** 20
} finally {
  await server?.stop()
  await pg.destroy()
}
const ratio = out.routes['was.db'].best / out.routes['pg Pool'].best
// Server CPU per request holds when the shared machine's load moves the req/s of a round
const cpuRatio = out.routes['was.db'].cpuUsPerReq / out.routes['pg Pool'].cpuUsPerReq
out.ratio = ratio
out.cpuRatio = cpuRatio
console.log(
  `was.db / pg Pool: ${ratio.toFixed(3)} req/s (target ≥ 0.9), ${cpuRatio.toFixed(3)} × the server CPU per request`,
)

if (process.argv.includes('--write')) {
  const file = fileURLToPath(new URL('./RESULTS.md', import.meta.url))
  const text = readFileSync(file, 'utf8')
  const heading = '## Databases (bench/db.mjs)'
  const rows = ROUTES.map((r) => {
    const o = out.routes[r.id]
    return `| ${r.id} | ${o.best.toLocaleString('en-US')} | ${(o.best / out.routes['pg Pool'].best).toFixed(2)} | ${o.cpuUsPerReq?.toFixed(1)} | ${(o.cpuUsPerReq / out.routes['pg Pool'].cpuUsPerReq).toFixed(2)} | ${o.p50} | ${o.p99} | ${o.rounds.join(' / ')} | ${o.errors} |`
  })
  const section = `${heading}

Written by \`node --import ./packages/engine/bin/register.mjs bench/db.mjs --write\` on ${out.date}. One Saddle app
answers \`SELECT 1\` three ways: through \`was.db('@pg')\`, through a \`pg\` Pool called directly (both 10
connections, one PostgreSQL ${'server'} started by the bench with fsync off), and through \`was.db\` on a \`pglite:\` member.
autocannon ${size.connections} connections, pipelining 1, ${size.seconds} s per round × ${size.rounds}, routes alternating;
the best round counts. The server runs on one CPU; PostgreSQL and the load generator share the other, so the
database is part of what is measured. Server RSS after the run (PGlite loaded): ${out.rssMb.toFixed(0)} MB.

| route | req/s | × pg Pool | server CPU µs/req | CPU × pg Pool | p50 ms | p99 ms | rounds | errors |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

\`was.db\` / \`pg\` Pool: **${ratio.toFixed(2)}×** the req/s of the best rounds (target ≥ 0.9) and **${cpuRatio.toFixed(2)}×** the
server CPU per request. On a loaded shared machine the rounds' req/s swing with the neighbours (see the rounds
column); the CPU per request is the steadier figure: what \`was.db\` adds per statement (Task, result, fail-over
bookkeeping) over a bare \`pool.query\`.
`
  const i = text.indexOf(heading)
  const next = i < 0 ? -1 : text.indexOf('\n## ', i + heading.length)
  const updated =
    i < 0 ? `${text.trimEnd()}\n\n${section}` : text.slice(0, i) + section + (next < 0 ? '' : text.slice(next + 1))
  writeFileSync(file, updated)
  console.log('bench/RESULTS.md updated')
}
