#!/usr/bin/env node
// Cluster workers (engine README "Workers"): the bench Saddle app (servers/saddle-workers.mjs) started
// through the `skitai` command with `--workers 1` (one process, no master) and `--workers 2` (a master and
// two workers), as real processes. (1) throughput: autocannon on `/` and `/json` at pipelining 10 and 1,
// rounds alternating between the two servers, req/s of the best round, and CPU per request of every
// process from /proc/PID/stat, each worker's CPU divided by the requests it answered itself; (2) idle RSS
// (and PSS) of the single process and of master + each worker; (3) SIGHUP and SIGTERM under load with
// the failed requests counted per connection (packages/engine/test/fixtures/shutdown/load-worker.mjs).
//   node bench/workers.mjs [--quick] [--write] [--duration s] [--rounds n] [--connections n]
//                          [--only throughput,rss,signals] [--source] [--busy n] [--busy-runs k]
// --write replaces the section between the `workers` markers of bench/RESULTS.md (run it under
// `flock /work/notes/bench.lock`); --quick takes seconds and writes nothing; --busy n runs the signal
// scenarios k more times (--busy-runs, default 4) beside n CPU-bound processes (a loaded machine: the
// workers' event loops stall, and what gets lost then varies from run to run).
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { ensureBuilt } from './lib/build.mjs'
import { alive, startSkitai, workerNumber } from './lib/cluster.mjs'
import { loadRound } from './lib/load.mjs'
import { sleep } from './lib/procs.mjs'
import { cpuTimes, stealShare } from './lib/steal.mjs'
import { workersMarkdown, writeSection } from './lib/workers-report.mjs'

const LOAD_WORKER = fileURLToPath(new URL('../packages/engine/test/fixtures/shutdown/load-worker.mjs', import.meta.url))
const ROUTES = [
  { id: 'hello', path: '/', body: 'Hello World' },
  { id: 'json', path: '/json', body: '{"hello":"world"}' },
]
const PARTS = ['throughput', 'rss', 'signals']

function parseOptions(argv) {
  const o = {
    quick: false,
    write: false,
    source: false,
    duration: 8,
    rounds: 2,
    connections: 100,
    only: PARTS,
    busy: 0,
    busyRuns: 4,
  }
  const given = new Set()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    given.add(arg)
    const number = () => {
      const v = Number(argv[++i])
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${arg} needs a positive number`)
      return v
    }
    if (arg === '--quick') o.quick = true
    else if (arg === '--write') o.write = true
    else if (arg === '--source') o.source = true
    else if (arg === '--duration') o.duration = number()
    else if (arg === '--rounds') o.rounds = Math.round(number())
    else if (arg === '--connections') o.connections = Math.round(number())
    else if (arg === '--busy') o.busy = Math.round(number())
    else if (arg === '--busy-runs') o.busyRuns = Math.round(number())
    else if (arg === '--only') {
      o.only = String(argv[++i] ?? '')
        .split(',')
        .filter(Boolean)
      const bad = o.only.filter((p) => !PARTS.includes(p))
      if (bad.length || !o.only.length) throw new Error(`--only takes some of ${PARTS.join(',')}`)
    } else throw new Error(`unknown option ${arg}`)
  }
  if (o.quick) {
    if (!given.has('--duration')) o.duration = 1
    if (!given.has('--rounds')) o.rounds = 1
    if (!given.has('--connections')) o.connections = 10
    o.write = false // a smoke run's figures are no results
  }
  // warm-up per server, route and pipelining; load before the signal; idle time before RSS is read
  o.warmup = o.quick ? 0.5 : 2
  o.signalLead = o.quick ? 1 : 2
  o.idle = o.quick ? 1 : 3
  return o
}

const opts = parseOptions(process.argv.slice(2))
const sum = (xs) => xs.reduce((a, b) => a + b, 0)
const load = (port, path, pipelining, duration) =>
  loadRound({ port, request: { path }, connections: opts.connections, pipelining, duration })

/**
 * One measured round on `server`: autocannon's figures, and for every process its CPU seconds and the
 * requests it answered (SIGUSR2 counts) between the start and the end of the round.
 */
async function measure(server, route, pipelining, seconds) {
  const n0 = await server.counts()
  const c0 = server.cpu()
  const s0 = cpuTimes()
  // this process is the load generator (autocannon runs in its main thread)
  const g0 = process.cpuUsage()
  const r = await load(server.port, route.path, pipelining, seconds)
  const g = process.cpuUsage(g0)
  const s1 = cpuTimes()
  const c1 = server.cpu()
  const n1 = await server.counts()
  const cpuOf = (pid) => (c0.get(pid) == null || c1.get(pid) == null ? null : c1.get(pid) - c0.get(pid))
  // by worker number (#0, #1), as the table's columns
  const serving = [...n1.keys()].filter((pid) => n0.has(pid)).sort((a, b) => workerNumber(a) - workerNumber(b))
  if (serving.length !== server.workers)
    throw new Error(`serving processes changed during the round: ${[...n0.keys()]} → ${[...n1.keys()]}`)
  const answered = sum(serving.map((pid) => n1.get(pid) - n0.get(pid)))
  const procs = serving.map((pid) => {
    const n = n1.get(pid) - n0.get(pid)
    const cpu = cpuOf(pid)
    return {
      pid,
      worker: workerNumber(pid),
      requests: n,
      share: n / answered,
      cpuS: cpu,
      usPerReq: cpu === null || n === 0 ? null : (cpu * 1e6) / n,
    }
  })
  const masterCpu = server.workers > 1 ? cpuOf(server.pid) : 0
  const totalCpu = sum(procs.map((p) => p.cpuS ?? 0)) + (masterCpu ?? 0)
  return {
    rps: r.rps,
    requests: r.requests,
    answered,
    errors: r.errors + r.non2xx + r.timeouts,
    p50: r.latency.p50,
    p99: r.latency.p99,
    usPerReq: (totalCpu * 1e6) / answered,
    masterUsPerReq: server.workers > 1 ? ((masterCpu ?? 0) * 1e6) / answered : null,
    cores: totalCpu / seconds,
    loadCores: (g.user + g.system) / 1e6 / seconds,
    steal: stealShare(s0, s1),
    procs,
  }
}

/** Both servers up; for each route and pipelining factor a warm-up each, then rounds alternating. */
async function throughput() {
  const configs = []
  const out = []
  try {
    for (const workers of [1, 2]) configs.push({ workers, server: await startSkitai({ workers, source: opts.source }) })
    for (const c of configs)
      for (const route of ROUTES) {
        const res = await fetch(`http://127.0.0.1:${c.server.port}${route.path}`)
        const body = await res.text()
        if (res.status !== 200 || body !== route.body)
          throw new Error(`workers ${c.workers} ${route.path}: ${res.status} ${body}`)
      }
    for (const pipelining of [10, 1])
      for (const route of ROUTES) {
        const row = { route: route.id, pipelining, configs: {} }
        for (const c of configs) {
          if (opts.warmup > 0) await load(c.server.port, route.path, pipelining, opts.warmup)
          row.configs[c.workers] = []
        }
        for (let round = 0; round < opts.rounds; round++) {
          // each round starts with the other server
          const order = round % 2 === 0 ? configs : [...configs].reverse()
          for (const c of order) {
            const m = await measure(c.server, route, pipelining, opts.duration)
            row.configs[c.workers].push(m)
            const split = m.procs
              .map((p) => `${(p.share * 100).toFixed(0)}% at ${p.usPerReq?.toFixed(1)} µs`)
              .join(', ')
            console.log(
              `${route.id.padEnd(5)} p${String(pipelining).padEnd(2)} workers ${c.workers} round ${round + 1}: ${Math.round(m.rps)} req/s, ${m.usPerReq.toFixed(1)} µs CPU/req (all processes), ${m.cores.toFixed(2)} cores, autocannon ${m.loadCores.toFixed(2)} cores, errors ${m.errors}${c.workers > 1 ? `; master ${m.masterUsPerReq.toFixed(2)} µs/req; workers ${split}` : ''}`,
            )
          }
        }
        out.push(row)
      }
  } finally {
    for (const c of configs) await c.server.stop()
  }
  return out
}

/** Fresh processes: load on both routes, a short idle, then RSS and PSS of every process. */
async function idleRss() {
  const out = {}
  for (const workers of [1, 2]) {
    const server = await startSkitai({ workers, source: opts.source })
    try {
      for (const route of ROUTES) await load(server.port, route.path, 10, opts.warmup)
      await sleep(opts.idle * 1000)
      out[workers] = server.memory()
      console.log(
        `idle RSS, workers ${workers}: ${out[workers].map((m) => `${(m.rss / 2 ** 20).toFixed(1)} MB`).join(' + ')}`,
      )
    } finally {
      await server.stop()
    }
  }
  return out
}

/** autocannon with per-connection bookkeeping in a worker thread; `mark()` flips its "after" flag. */
function startLoad(port, pipelining) {
  const flag = new SharedArrayBuffer(4)
  const worker = new Worker(LOAD_WORKER, {
    workerData: {
      url: `http://127.0.0.1:${port}`,
      connections: opts.connections,
      pipelining,
      path: '/',
      signalled: flag,
    },
  })
  const tally = new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  return {
    mark: () => Atomics.store(new Int32Array(flag), 0, 1),
    finish: async () => {
      worker.postMessage('stop')
      const t = await tally
      await worker.terminate()
      return t
    },
    abort: () => worker.terminate(),
  }
}

/**
 * SIGHUP under load: every worker replaced one by one. The load goes on for 1 s after the last
 * replacement; then the flag marks the end of the window, and requests written after it (in flight when
 * autocannon is stopped) are not counted.
 */
async function sighup(pipelining) {
  const server = await startSkitai({ workers: 2, source: opts.source })
  const load = startLoad(server.port, pipelining)
  try {
    const before = server.servingPids()
    await sleep(opts.signalLead * 1000)
    const from = server.out.length
    const t0 = performance.now()
    server.child.kill('SIGHUP')
    const m = await server.waitFor(/SIGHUP: (\d+) worker\(s\) replaced in (\d+) ms/, 60_000, from)
    const seenMs = performance.now() - t0
    await sleep(1000)
    load.mark()
    await sleep(300)
    const tally = await load.finish()
    const after = server.servingPids()
    const r = {
      signal: 'SIGHUP',
      pipelining,
      replaced: Number(m[1]),
      replacedMs: Number(m[2]),
      seenMs,
      pidsBefore: before,
      pidsAfter: after,
      allChanged: after.length === before.length && before.every((p) => !after.includes(p) && !alive(p)),
      tally,
    }
    const t = tally
    console.log(
      `SIGHUP p${pipelining}: ${t.answered} answered, autocannon errors ${t.autocannon.errors} + non-2xx ${t.autocannon.non2xx}; unanswered (no close said) ${t.unansweredBeforeSignal} (at a FIN without close: ${t.unansweredAtFin} on ${t.finWithoutClose} connection(s), ms since last answer / last write ${JSON.stringify(t.finGaps)}), written after a Connection: close answer ${t.unansweredAfterClose}, refused ${t.refusedConnects}, resets ${t.resets} (${t.resetsOpenedAfterSignal} opened after the window), cut ${t.partialAnswers}; ${r.replaced} replaced in ${r.replacedMs} ms; pids ${before} → ${after}`,
    )
    return r
  } finally {
    await load.abort()
    await server.stop()
  }
}

/** SIGTERM under load: requests sent before the signal that got no answer, exit code, time to exit. */
async function sigterm(pipelining) {
  const server = await startSkitai({ workers: 2, source: opts.source })
  const load = startLoad(server.port, pipelining)
  try {
    const workers = server.servingPids()
    await sleep(opts.signalLead * 1000)
    load.mark()
    // a request written just before the mark must have reached the server when the signal comes
    await sleep(100)
    const t0 = performance.now()
    server.child.kill('SIGTERM')
    const exit = await Promise.race([server.exited, sleep(40_000).then(() => null)])
    const tally = await load.finish()
    const r = {
      signal: 'SIGTERM',
      pipelining,
      code: exit?.code ?? null,
      exitSignal: exit?.signal ?? null,
      exitMs: exit ? exit.at - t0 : null,
      workersLeft: workers.filter(alive).length,
      tally,
    }
    const t = tally
    console.log(
      `SIGTERM p${pipelining}: sent before ${t.sentBeforeSignal}, unanswered of those ${t.unansweredBeforeSignal} (at a FIN without close: ${t.unansweredAtFin} on ${t.finWithoutClose} connection(s), ms since last answer / last write ${JSON.stringify(t.finGaps.slice(0, 5))}), cut ${t.partialAnswers}, resets ${t.resets} (${t.resetsOpenedAfterSignal} opened after the signal, ${t.resetsNeverAnswered} opened before it and never answered); exit ${r.code} after ${r.exitMs?.toFixed(0)} ms; autocannon errors ${t.autocannon.errors} (after the exit: refused reconnects)`,
    )
    return r
  } finally {
    await load.abort()
    await server.stop()
  }
}

const built = ensureBuilt()
if (built !== null && !opts.source) {
  console.log(`${built}: running from src/ (--source)`)
  opts.source = true
}
const out = {
  date: new Date().toISOString(),
  node: process.version,
  loadavg: loadavg().map((x) => Number(x.toFixed(2))),
  options: opts,
}
console.log(`load average ${out.loadavg.join(' ')}; ${JSON.stringify(opts)}`)
if (opts.only.includes('throughput')) out.throughput = await throughput()
if (opts.only.includes('rss')) out.rss = await idleRss()
/** The four signal runs, beside `busy` CPU-bound loops (0: none). */
async function signalRuns(busy) {
  const out = []
  // CPU-bound loops that end by themselves when this process is gone (their parent pid changes)
  const spin = `for (let i = 0; ; i++) if (i % 1e7 === 0 && process.ppid !== ${process.pid}) process.exit()`
  const loops = Array.from({ length: busy }, () => spawn(process.execPath, ['-e', spin], { stdio: 'ignore' }))
  try {
    for (const pipelining of [1, 10]) out.push(await sighup(pipelining))
    for (const pipelining of [1, 10]) out.push(await sigterm(pipelining))
  } finally {
    for (const l of loops) l.kill('SIGKILL')
  }
  return out
}

if (opts.only.includes('signals')) {
  out.signals = await signalRuns(0)
  if (opts.busy > 0) {
    out.signalsBusy = []
    for (let run = 1; run <= opts.busyRuns; run++) {
      console.log(`signals beside ${opts.busy} CPU-bound processes (--busy), run ${run} of ${opts.busyRuns}`)
      out.signalsBusy.push(await signalRuns(opts.busy))
    }
  }
}
out.loadavgAfter = loadavg().map((x) => Number(x.toFixed(2)))

const section = workersMarkdown(out)
console.log(`\n${section}`)
if (opts.write) {
  writeFileSync(new URL('./results/workers-latest.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`)
  writeSection(fileURLToPath(new URL('./RESULTS.md', import.meta.url)), 'workers', section)
  console.log('bench/RESULTS.md and bench/results/workers-latest.json updated')
}
