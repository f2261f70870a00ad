// The "Workers" section of bench/RESULTS.md from bench/workers.mjs's figures, and the replacement of a
// marked section (`<!-- name -->` … `<!-- /name -->`) of a file, added at the end when it is missing.
import { readFileSync, writeFileSync } from 'node:fs'

export const HEADING = '## Workers (bench/workers.mjs)'

const mb = (b) => (b == null ? '-' : (b / 2 ** 20).toFixed(1))
const us = (x) => (x == null ? '-' : x.toFixed(1))
const int = (x) => Math.round(x).toLocaleString('en-US')

/** Best req/s round (it counts for req/s and latency) and lowest-CPU round (it counts for the costs). */
function summary(rounds) {
  const best = rounds.reduce((a, b) => (b.rps > a.rps ? b : a))
  const cheapest = rounds.reduce((a, b) => (b.usPerReq < a.usPerReq ? b : a))
  const errors = rounds.reduce((a, r) => a + r.errors, 0)
  return { best, cheapest, errors, list: rounds.map((r) => int(r.rps)).join(' / ') }
}

function throughputTables(rows) {
  const speed = [
    '| route | pipelining | workers 1: req/s | workers 2: req/s | 2 / 1 | p99 ms (1 / 2) | server cores (1 / 2) | autocannon cores (1 / 2) | rounds, workers 1 | rounds, workers 2 | errors (1 / 2) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  const cost = [
    '| route | pipelining | workers 1: µs/req | workers 2: µs/req, all processes | master µs/req | worker #0: share, µs/req | worker #1: share, µs/req |',
    '|---|---|---|---|---|---|---|',
  ]
  for (const row of rows) {
    const one = summary(row.configs[1])
    const two = summary(row.configs[2])
    speed.push(
      `| ${row.route} | ${row.pipelining} | ${int(one.best.rps)} | ${int(two.best.rps)} | ${(two.best.rps / one.best.rps).toFixed(2)} | ${one.best.p99} / ${two.best.p99} | ${one.best.cores.toFixed(2)} / ${two.best.cores.toFixed(2)} | ${one.best.loadCores.toFixed(2)} / ${two.best.loadCores.toFixed(2)} | ${one.list} | ${two.list} | ${one.errors} / ${two.errors} |`,
    )
    const workers = two.cheapest.procs.map((p) => `${(p.share * 100).toFixed(1)} %, ${us(p.usPerReq)}`)
    cost.push(
      `| ${row.route} | ${row.pipelining} | ${us(one.cheapest.usPerReq)} | ${us(two.cheapest.usPerReq)} | ${two.cheapest.masterUsPerReq?.toFixed(2)} | ${workers.join(' | ')} |`,
    )
  }
  return { speed: speed.join('\n'), cost: cost.join('\n') }
}

/** What the tables say together: the CPU the servers and autocannon got, and workers 2 against workers 1. */
function verdict(rows) {
  const range = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`
  const s = rows.map((r) => ({ one: summary(r.configs[1]).best, two: summary(r.configs[2]).best }))
  const cheap = rows.map((r) => ({ one: summary(r.configs[1]).cheapest, two: summary(r.configs[2]).cheapest }))
  const rps = range(s.map((x) => x.two.rps / x.one.rps))
  const cpu = range(cheap.map((x) => x.two.usPerReq / x.one.usPerReq))
  const both = (k) =>
    `${range(s.map((x) => x.one[k]))} cores with \`workers: 1\`, ${range(s.map((x) => x.two[k]))} with \`workers: 2\``
  const full = Math.min(...s.map((x) => x.two.cores + x.two.loadCores))
  const mean = (k, w) => s.reduce((a, x) => a + x[w][k], 0) / s.length
  const starved = mean('loadCores', 'two') < mean('loadCores', 'one') - 0.05
  const why =
    full >= 1.7
      ? ` With \`workers: 2\` the server and autocannon together kept ${full.toFixed(2)} or more of the 2 cores busy: no core was idle for the second worker${starved ? `, and autocannon got less CPU than beside one process (${mean('loadCores', 'two').toFixed(2)} against ${mean('loadCores', 'one').toFixed(2)} cores on average)` : ''}.`
      : ''
  return `The server's processes used ${both('cores')}; autocannon ${both('loadCores')}. \`workers: 2\` gave ${rps}× the req/s of \`workers: 1\`, at ${cpu}× its CPU per request.${why}`
}

/** Host noise over the measured rounds (lib/steal.mjs): CPU time the hypervisor gave to other guests. */
function stealLine(rows) {
  const all = rows
    .flatMap((r) => [...r.configs[1], ...r.configs[2]])
    .map((m) => m.steal)
    .filter((x) => x != null)
  if (!all.length) return 'Steal time: not readable.'
  const pct = (x) => `${(x * 100).toFixed(1)} %`
  return `Steal time over the measured rounds: mean ${pct(all.reduce((a, b) => a + b, 0) / all.length)}, max ${pct(Math.max(...all))}.`
}

function rssTable(rss) {
  const lines = ['| process | RSS MB | PSS MB |', '|---|---|---|']
  const [single] = rss[1]
  lines.push(`| workers 1 (one process) | ${mb(single.rss)} | ${mb(single.pss)} |`)
  const [master, ...workers] = rss[2]
  lines.push(`| workers 2: master | ${mb(master.rss)} | ${mb(master.pss)} |`)
  for (const w of workers) lines.push(`| workers 2: worker #${w.worker} | ${mb(w.rss)} | ${mb(w.pss)} |`)
  const total = (k) => rss[2].reduce((a, p) => a + (p[k] ?? 0), 0)
  lines.push(`| workers 2: master + ${workers.length} workers | ${mb(total('rss'))} | ${mb(total('pss'))} |`)
  return lines.join('\n')
}

function signalTables(signals) {
  const hup = [
    '| pipelining | answered | failed: autocannon errors + non-2xx | unanswered (no `Connection: close` before; of them at a FIN without one) | written after a `Connection: close` answer | refused connections | resets (of them opened after the window) | cut mid-answer | replaced in | every worker pid changed |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ]
  const term = [
    '| pipelining | sent before the signal | unanswered of those (at a FIN without `Connection: close`) | cut mid-answer | resets (of them: opened after the signal / opened before it and never answered) | exit code | time to exit | workers left |',
    '|---|---|---|---|---|---|---|---|',
  ]
  for (const s of signals) {
    const t = s.tally
    if (s.signal === 'SIGHUP')
      hup.push(
        `| ${s.pipelining} | ${int(t.answered)} | **${t.autocannon.errors + t.autocannon.non2xx}** (${t.autocannon.errors} + ${t.autocannon.non2xx}) | ${t.unansweredBeforeSignal} (${t.unansweredAtFin}) | ${t.unansweredAfterClose} | ${t.refusedConnects} | ${t.resets} (${t.resetsOpenedAfterSignal}) | ${t.partialAnswers} | ${s.replaced} workers, ${s.replacedMs} ms | ${s.allChanged ? 'yes' : 'NO'}: ${s.pidsBefore.join(', ')} → ${s.pidsAfter.join(', ')} |`,
      )
    else
      term.push(
        `| ${s.pipelining} | ${int(t.sentBeforeSignal)} | **${t.unansweredBeforeSignal}** (${t.unansweredAtFin}) | ${t.partialAnswers} | ${t.resets} (${t.resetsOpenedAfterSignal} / ${t.resetsNeverAnswered}) | ${s.code ?? `signal ${s.exitSignal}`} | ${s.exitMs == null ? 'did not exit in 40 s' : `${s.exitMs.toFixed(0)} ms`} | ${s.workersLeft} |`,
      )
  }
  return { hup: hup.join('\n'), term: term.join('\n') }
}

/**
 * Requests lost at a FIN without `Connection: close`: said with the measured gaps, since the figure is the
 * server's (drain-socket.ts closes a connection that read nothing for 50 ms) and not the client's.
 */
function finNote(signals) {
  const hit = signals.filter((s) => s.signal === 'SIGHUP' && s.tally.unansweredAtFin > 0)
  if (!hit.length) return []
  const gaps = hit.flatMap((s) => s.tally.finGaps.map((g) => g.sinceWrite))
  const where = hit.map(
    (s) => `pipelining ${s.pipelining}: ${s.tally.unansweredAtFin} on ${s.tally.finWithoutClose} connection(s)`,
  )
  return [
    `Unanswered at a FIN without \`Connection: close\` (${where.join('; ')}): the retiring worker closed those connections as quiet (nothing read for 50 ms, packages/engine/src/drain-socket.ts) although the client had written its next requests ${Math.min(...gaps)}–${Math.max(...gaps)} ms before it saw the FIN. A probe in the workers (2026-12-04) saw such requests read in the same event-loop turn as the close, after loop stalls of 150–330 ms: they were already waiting in the worker's socket. So this is the server dropping requests it had received, not the bench's count: a worker that is not scheduled for more than 50 ms runs its sweep timer, which finds nothing read since its last look, before it reads its sockets. A client that retries on a clean close of a reused connection would resend them; autocannon does not.`,
    '',
  ]
}

/** One row per scenario, one figure per run: the requests lost, and how (see the notes). */
function busyTable(runs) {
  const lines = [
    '| scenario | unanswered per run (SIGHUP: in the window; SIGTERM: sent before the signal) | of them at a FIN without `Connection: close` | connections opened before the signal, reset without ever getting an answer | autocannon errors + non-2xx | every pid changed (SIGHUP) / exit code (SIGTERM) |',
    '|---|---|---|---|---|---|',
  ]
  const per = (i, f) => runs.map((r) => f(r[i])).join(' / ')
  runs[0].forEach((first, i) => {
    lines.push(
      `| ${first.signal} p${first.pipelining} | ${per(i, (s) => `**${s.tally.unansweredBeforeSignal}**`)} | ${per(i, (s) => s.tally.unansweredAtFin)} | ${per(i, (s) => s.tally.resetsNeverAnswered)} | ${first.signal === 'SIGHUP' ? per(i, (s) => s.tally.autocannon.errors + s.tally.autocannon.non2xx) : '(refused reconnects after the exit)'} | ${per(i, (s) => (s.signal === 'SIGHUP' ? (s.allChanged ? 'yes' : 'NO') : (s.code ?? s.exitSignal)))} |`,
    )
  })
  return lines.join('\n')
}

/** SIGTERM: requests lost on connections that never got an answer (never reached a worker). */
function handoffNote(signals) {
  const hit = signals.filter((s) => s.signal === 'SIGTERM' && s.tally.unansweredBeforeSignal > 0)
  if (!hit.length) return []
  const where = hit.map(
    (s) =>
      `pipelining ${s.pipelining}: ${s.tally.unansweredBeforeSignal} unanswered, ${s.tally.resetsNeverAnswered} connection(s) reset without ever getting an answer`,
  )
  return [
    '',
    `Requests sent before the SIGTERM left unanswered (${where.join('; ')}): connections that got no answer at all since the load began, most likely accepted by the master and still waiting for node:cluster's round-robin hand-over (one connection per worker per IPC round trip, slow when the processes get little CPU) when the last worker left; the master then closes them with their requests unread (a reset).`,
  ]
}

export function workersMarkdown(out) {
  const o = out.options
  const md = [
    '<!-- workers -->',
    HEADING,
    '',
    `${out.date}, Node ${out.node}, written by \`flock /work/notes/bench.lock node bench/workers.mjs --write${o.busy ? ` --busy ${o.busy}` : ''}\` (packages from ${o.source ? 'src/' : 'dist/'}); load average ${out.loadavg.join(' ')} before, ${out.loadavgAfter.join(' ')} after. The bench Saddle app (\`bench/servers/saddle-workers.mjs\`: \`/\` Hello World, \`/json\`) runs under the \`skitai\` command with \`--workers 1\` (one process: the engine runs no master for 1) and \`--workers 2\` (a master and two workers sharing the port).`,
    '',
    `**The load generator shares the 2 cores.** This machine has 2 cores and one autocannon process drives the load on them too; nothing is pinned (pinned to one core, two workers would only take turns). So \`workers: 2\` cannot show 2× here: the two workers get what autocannon leaves of the 2 cores, where the single process gets one core while autocannon has the other. "Server cores" is the CPU time of all the server's processes per second of the round, "autocannon cores" the bench process's own (autocannon runs in it).`,
  ]
  if (out.throughput) {
    const t = throughputTables(out.throughput)
    md.push(
      '',
      `### Throughput`,
      '',
      `autocannon ${o.connections} connections, ${o.rounds} round(s) of ${o.duration} s per server after ${o.warmup} s of warm-up, the two servers alternating (each round starts with the other one); the best round's req/s and latency.`,
      '',
      t.speed,
      '',
      stealLine(out.throughput),
      '',
      `CPU per request (user + system from \`/proc/PID/stat\` around the round; the round with the lowest total): "all processes" is the master's and the workers' CPU over the requests answered; each worker's share is the requests it answered itself (each counts its answers, read by SIGUSR2 before and after the round) and its µs/req its own CPU over its own requests. node:cluster on Linux hands each new connection to the workers in turn, so the split follows the ${o.connections} keep-alive connections, not the requests.`,
      '',
      t.cost,
      '',
      verdict(out.throughput),
    )
  }
  if (out.rss) {
    md.push(
      '',
      '### Idle memory',
      '',
      `Fresh processes, after ${o.warmup} s of load on each route and ${o.idle} s idle: VmRSS from \`/proc/PID/status\`, and PSS from \`/proc/PID/smaps_rollup\` (pages shared between the processes, such as the node binary, divided among them; RSS counts them in each). The single process took the whole warm-up load, each worker half of it.`,
      '',
      rssTable(out.rss),
    )
  }
  if (out.signals) {
    const s = signalTables(out.signals)
    md.push(
      '',
      '### Signals under load',
      '',
      `\`--workers 2\`, autocannon ${o.connections} keep-alive connections on \`/\` in a worker thread with per-connection bookkeeping (\`packages/engine/test/fixtures/shutdown/load-worker.mjs\`, as the shutdown tests), the signal to the master after ${o.signalLead} s of load.`,
      '',
      `**SIGHUP** (rolling reload): the load runs on 1 s past the master's \`SIGHUP: 2 worker(s) replaced in N ms\`; requests written after that window (in flight when autocannon is stopped) are not counted. "Unanswered" are requests that got no answer although no answer on their connection had said \`Connection: close\` before: requests the server dropped. autocannon ignores \`Connection: close\` (the answers of a retiring worker carry it) and writes more on that connection; those are counted apart, and the connection's close can show up among autocannon's errors. autocannon's own count (errors + non-2xx) misses requests lost at a clean close: it reconnects and never counts them; the per-connection count does.`,
      '',
      s.hup,
      '',
      ...finNote(out.signals),
      `**SIGTERM**: "sent before the signal" are requests autocannon wrote up to 100 ms before the SIGTERM; "unanswered of those" the ones that got no complete answer. Time to exit: from the signal to the master's exit (every worker finishes its requests and closes first). After the exit autocannon's reconnects are refused (not counted).`,
      '',
      s.term,
      ...handoffNote(out.signals),
    )
    if (out.signalsBusy)
      md.push(
        '',
        '### Signals on a loaded machine',
        '',
        `The same four scenarios ${out.signalsBusy.length} times with ${o.busy} CPU-bound processes beside them (\`--busy ${o.busy}\`), as when other work shares the 2 cores: the processes get the CPU in turns and their event loops stall (a probe measured stalls of 150–330 ms). What is lost varies from run to run; one figure per run.`,
        '',
        busyTable(out.signalsBusy),
        '',
        ...finNote(out.signalsBusy.flat()),
        ...handoffNote(out.signalsBusy.flat()),
      )
  }
  md.push('<!-- /workers -->')
  return md.join('\n')
}

/** Replace `<!-- name -->` … `<!-- /name -->` of `file` with `section` (which carries the markers). */
export function writeSection(file, name, section) {
  const text = readFileSync(file, 'utf8')
  const re = new RegExp(`<!-- ${name} -->[\\s\\S]*?<!-- /${name} -->`)
  writeFileSync(file, re.test(text) ? text.replace(re, () => section) : `${text.trimEnd()}\n\n${section}\n`)
}
