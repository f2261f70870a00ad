#!/usr/bin/env node
// `npm run bench`: every scenario for every server in one run (SPEC §4, issue 7). Servers run in child
// processes pinned to one CPU, autocannon drives them from this process pinned to another; servers
// alternate round by round after a warm-up. Prints the table, writes bench/results/latest.json and
// bench/RESULTS.md. See bench/README.md for the options and what each scenario measures.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, platform, release, totalmem } from 'node:os'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureBuilt } from './lib/build.mjs'
import { checkResponses, fetchJson } from './lib/check.mjs'
import { cpuPlan, pinSelf } from './lib/cpus.mjs'
import { closeAll, openIdle, stillOpen } from './lib/idle.mjs'
import { loadRound } from './lib/load.mjs'
import { parseOptions } from './lib/options.mjs'
import { cpuSecondsOf, freePort, rssOf, sleep, startBackends, startServer } from './lib/procs.mjs'
import { computeTargets, markdownReport, printReport } from './lib/report.mjs'
import { cpuTimes, stealShare } from './lib/steal.mjs'
import { OPT_IN, SCENARIOS, serversOf } from './scenarios/index.mjs'
import { BASELINE, SERVERS } from './scenarios/servers.mjs'
import { h2Markdown, runH2Bench } from './h2.mjs'
import { runWsBench, wsMarkdown } from './ws.mjs'

const BENCH_DIR = dirname(fileURLToPath(import.meta.url))

async function main() {
  const opts = parseOptions(process.argv.slice(2))
  const scenarios = SCENARIOS.filter((s) => !opts.only || opts.only.includes(s.id))
  if (opts.only)
    for (const id of opts.only)
      if (id !== 'ws' && id !== 'h2' && !SCENARIOS.some((s) => s.id === id)) throw new Error(`unknown scenario ${id}`)
  if (opts.servers)
    for (const id of opts.servers) if (!SERVERS.some((s) => s.id === id)) throw new Error(`unknown server ${id}`)
  const wanted = (id) =>
    opts.servers
      ? opts.servers.includes(id) || (id === 'saddle-undici' && opts.servers.includes('saddle'))
      : !OPT_IN.includes(id)
  const defs = SERVERS.filter((d) => wanted(d.id) && scenarios.some((s) => serversOf(s).includes(d.id)))

  const plan = cpuPlan()
  if (plan.taskset) pinSelf(plan.bench)
  const pinning = plan.taskset
    ? `taskset: load generator on CPU ${plan.bench}, servers on CPU ${plan.server}, backends on CPU ${plan.backend}`
    : 'no CPU pinning (taskset missing or a single core)'

  // Skitai servers load @skitai/* from dist/ (rebuilt when stale) unless --source.
  let source = opts.source
  if (!source && opts.build && defs.some((d) => d.skitai)) {
    const problem = ensureBuilt()
    if (problem) {
      console.error(`\n!!! ${problem}: running the Skitai packages from src/ through tsx instead\n`)
      source = true
    }
  }

  const env = {
    BENCH_BACKEND: `http://127.0.0.1:${await freePort()}/`,
    BENCH_MAP_MEMBERS: (await Promise.all([0, 1, 2].map(freePort))).map((p) => `127.0.0.1:${p}`).join(','),
  }
  const needsBackends = scenarios.some((s) => s.id === 'was-get' || s.id === 'map')
  const stopBackends = needsBackends ? await startBackends(plan.backend, env) : () => {}

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGB: Math.round(totalmem() / 1024 ** 3),
      os: `${platform()} ${release()}`,
    },
    pinning,
    skitaiFrom: source ? 'src/ (node --conditions=skitai-source --import tsx)' : 'dist/ (npm run build)',
    options: opts,
    servers: {},
    scenarios: [],
    targets: [],
    mismatches: 0,
    /** Host steal share of every measured round (see lib/steal.mjs). */
    steal: [],
  }

  const running = new Map()
  try {
    // Start every server once; the idle scenario starts fresh ones of its own.
    const loadDefs = defs.filter((d) => scenarios.some((s) => s.kind !== 'idle' && serversOf(s).includes(d.id)))
    for (const def of loadDefs) {
      const s = await startServer(def, { cpu: plan.server, source, env })
      results.servers[def.id] = { label: def.label, status: s.status, reason: s.reason ?? null, idleRss: null }
      console.log(`${def.id.padEnd(14)} ${s.status}${s.reason ? `: ${s.reason}` : ` on port ${s.port}`}`)
      if (s.status === 'ready') running.set(def.id, s)
    }
    await sleep(1000)
    for (const [id, s] of running) results.servers[id].idleRss = rssOf(s.pid)

    for (const sc of scenarios) {
      const out = {
        id: sc.id,
        n: sc.n,
        title: sc.title,
        kind: sc.kind,
        compareTo: sc.compareTo ?? null,
        rows: [],
        skipped: {},
      }
      results.scenarios.push(out)
      console.log(`\n== ${sc.n}. ${sc.title}`)
      if (sc.kind === 'idle') {
        await runIdle(sc, defs, out, { plan, source, env, opts, running })
        continue
      }
      const participants = []
      for (const id of serversOf(sc)) {
        const s = running.get(id)
        if (!wanted(id)) continue
        if (!s) {
          out.skipped[id] = results.servers[id]?.reason ?? 'not started'
          continue
        }
        if (s.unsupported[sc.id]) {
          out.skipped[id] = s.unsupported[sc.id]
          continue
        }
        participants.push({ id, port: s.port, pid: s.pid })
      }
      if (participants.length === 0) continue
      const checks = await checkResponses(sc, participants)
      for (const [id, problem] of Object.entries(checks)) {
        if (problem) {
          results.mismatches++
          console.error(`!!! MISMATCH in scenario ${sc.n} (${sc.id}) from ${id}: ${problem}`)
        }
      }
      for (const p of sc.pipelining ?? opts.pipelining) {
        const connections = opts.quick ? opts.connections : (sc.connections ?? opts.connections)
        const load = async (s, duration) => {
          if (sc.handlerStats) await fetchJson(s.port, sc.handlerStats) // reset
          const cpu0 = cpuSecondsOf(s.pid)
          const host0 = cpuTimes()
          const r = await loadRound({ port: s.port, request: sc.request, connections, pipelining: p, duration })
          const cpu1 = cpuSecondsOf(s.pid)
          r.steal = stealShare(host0, cpuTimes())
          // server CPU per request (µs) and its CPU use during the round (1.0 = one core all the time)
          r.cpuPerReq = cpu0 !== null && cpu1 !== null && r.requests > 0 ? ((cpu1 - cpu0) * 1e6) / r.requests : null
          r.cpuUse = cpu0 !== null && cpu1 !== null ? (cpu1 - cpu0) / duration : null
          return sc.handlerStats ? { ...r, handler: await fetchJson(s.port, sc.handlerStats) } : r
        }
        if (opts.warmup > 0) for (const s of participants) await load(s, opts.warmup)
        const samples = new Map(participants.map((s) => [s.id, []]))
        if (opts.quick) {
          // Smoke only: autocannon needs about a second whatever the duration, so all servers at once.
          const all = await Promise.all(participants.map((s) => load(s, opts.duration)))
          for (const [k, s] of participants.entries()) samples.get(s.id).push({ ...all[k], rss: rssOf(s.pid) })
        }
        for (let r = 0; r < (opts.quick ? 0 : opts.rounds); r++) {
          // Alternate: each round starts with a different server.
          const order = participants.map((_, k) => participants[(k + r) % participants.length])
          for (const s of order) {
            const sample = await load(s, opts.duration)
            if (sample.steal != null) results.steal.push(sample.steal)
            samples.get(s.id).push({ ...sample, rss: rssOf(s.pid) })
          }
        }
        for (const s of participants) {
          const row = summarize(samples.get(s.id))
          out.rows.push({ server: s.id, pipelining: p, connections, ...row, check: checks[s.id] })
          const l = row.latency
          console.log(
            `${s.id.padEnd(14)} p${String(p).padEnd(3)} ${Math.round(row.rps).toString().padStart(7)} req/s  mean ${l.mean.toFixed(1)} p50 ${l.p50} p99 ${l.p99} ms  cpu ${row.cpuPerReq?.toFixed(0)} µs/req (${row.cpuUse?.toFixed(2)} cores)${row.rounds.length > 1 ? `  rounds ${row.rounds.join(' / ')}` : ''}${row.steal != null ? `  steal ≤ ${(row.steal * 100).toFixed(1)} %` : ''}${row.errors + row.non2xx ? `  errors ${row.errors} non-2xx ${row.non2xx}` : ''}`,
          )
        }
      }
      addRatios(out, sc)
    }
  } finally {
    for (const s of running.values()) await s.stop()
    stopBackends()
  }

  // the WebSocket scenarios have servers and clients of their own (bench/ws.mjs)
  if (!opts.only || opts.only.includes('ws')) results.websocket = await runWsBench({ quick: opts.quick, source, plan })
  // HTTP/2 and TLS: h2load and https servers of their own (bench/h2.mjs)
  if (!opts.only || opts.only.includes('h2')) results.h2 = await runH2Bench({ quick: opts.quick })
  results.targets = computeTargets(results)
  if (results.websocket)
    for (const t of results.websocket.targets) results.targets.push({ ...t, target: `ws: ${t.target}` })
  printReport(results)
  if (results.mismatches)
    console.error(`\n!!! ${results.mismatches} response mismatch(es): see the lines marked MISMATCH above`)
  const json = JSON.stringify(results, null, 2)
  if (opts.write) {
    mkdirSync(`${BENCH_DIR}/results`, { recursive: true })
    writeFileSync(`${BENCH_DIR}/results/latest.json`, json)
    writeFileSync(
      `${BENCH_DIR}/RESULTS.md`,
      markdownReport(results) +
        (results.websocket ? wsMarkdown(results.websocket) : '') +
        (results.h2 ? h2Markdown(results.h2) : '') +
        keptSections(`${BENCH_DIR}/RESULTS.md`, !results.websocket, !results.h2),
    )
    console.log('\nwrote bench/results/latest.json and bench/RESULTS.md')
  }
  if (opts.json) writeFileSync(opts.json, json)
  const failed = Object.values(results.servers).some((s) => s.status === 'failed')
  process.exitCode = results.mismatches || failed ? 1 : 0
}

/**
 * One row from a server's rounds: the best round (highest req/s) with its latencies. On a shared
 * machine other processes only ever slow a server down, so the best round is the least disturbed one;
 * every round's req/s stays in `rounds`.
 */
function summarize(samples) {
  const best = samples.reduce((a, s) => (s.rps > a.rps ? s : a))
  const sum = (f) => samples.reduce((a, s) => a + f(s), 0)
  return {
    rps: best.rps,
    latency: best.latency,
    handler: best.handler ?? null,
    // the lowest CPU cost of the rounds (noise only ever adds to it)
    cpuPerReq: min(samples.map((s) => s.cpuPerReq)),
    cpuUse: best.cpuUse,
    rss: samples.at(-1).rss,
    errors: sum((s) => s.errors),
    timeouts: sum((s) => s.timeouts),
    non2xx: sum((s) => s.non2xx),
    rounds: samples.map((s) => Math.round(s.rps)),
    /** The highest host steal share of the rounds. */
    steal: max(samples.map((s) => s.steal)),
  }
}

function min(values) {
  const v = values.filter((x) => x != null)
  return v.length ? Math.min(...v) : null
}

function max(values) {
  const v = values.filter((x) => x != null)
  return v.length ? Math.max(...v) : null
}

function addRatios(out, sc) {
  for (const row of out.rows) {
    const base = out.rows.find((r) => r.server === BASELINE && r.pipelining === row.pipelining)
    row.ratio = base ? row.rps / base.rps : null
    row.cpuRatio = base?.cpuPerReq && row.cpuPerReq ? row.cpuPerReq / base.cpuPerReq : null
    const cmp = sc.compareTo && out.rows.find((r) => r.server === sc.compareTo && r.pipelining === row.pipelining)
    row.compareRatio = cmp && row.server !== sc.compareTo ? row.rps / cmp.rps : null
  }
}

/**
 * Scenario 9, on a fresh process per server: RSS idle, then with N idle keep-alive connections.
 * (--quick reuses the processes already running: it only proves the connections are held.)
 */
async function runIdle(sc, defs, out, { plan, source, env, opts, running }) {
  for (const def of defs.filter((d) => serversOf(sc).includes(d.id))) {
    const reuse = opts.quick && running.has(def.id)
    const s = reuse ? running.get(def.id) : await startServer(def, { cpu: plan.server, source, env })
    if (s.status !== 'ready') {
      out.skipped[def.id] = s.reason
      continue
    }
    try {
      await sleep(500)
      const rssBefore = rssOf(s.pid)
      const sockets = await openIdle(s.port, opts.idleConnections)
      await sleep(1000)
      const held = stillOpen(sockets)
      const rssAfter = rssOf(s.pid)
      closeAll(sockets)
      out.rows.push({ server: def.id, requested: opts.idleConnections, held, rssBefore, rssAfter })
      console.log(
        `${def.id.padEnd(14)} ${held}/${opts.idleConnections} held, RSS ${(rssBefore / 2 ** 20).toFixed(1)} → ${(rssAfter / 2 ** 20).toFixed(1)} MB`,
      )
    } finally {
      if (!reuse) await s.stop()
    }
  }
}

main().catch((err) => {
  console.error(err?.stack ?? err)
  process.exit(2)
})

/**
 * Sections other scripts or hands write into RESULTS.md (bench/ts-idle-rss.mjs; the paired before/after
 * runs; the enableMetrics cost; shutdown under load; bench/workers.mjs --write; bench/ws.mjs --write, kept
 * when this run did not measure WebSocket itself), kept when the file is rewritten.
 */
function keptSections(file, keepWebSocket, keepH2) {
  let text = ''
  try {
    text = readFileSync(file, 'utf8')
  } catch {}
  let out = ''
  const ws = text.match(/<!-- websocket -->[\s\S]*?<!-- \/websocket -->/)
  if (keepWebSocket && ws) out += `\n${ws[0]}\n`
  const h2 = text.match(/<!-- h2 -->[\s\S]*?<!-- \/h2 -->/)
  if (keepH2 && h2) out += `\n${h2[0]}\n`
  // sections measured by hand or by other scripts, each between its markers
  for (const name of ['shutdown', 'metrics', 'paired-lifecycle', 'workers']) {
    const section = text.match(new RegExp(`<!-- ${name} -->[\\s\\S]*?<!-- /${name} -->`))
    if (section) out += `\n${section[0]}\n`
  }
  const m = text.match(/<!-- ts-idle-rss -->[\s\S]*?<!-- \/ts-idle-rss -->/)
  return m ? `${out}\n${m[0]}\n` : out
}
