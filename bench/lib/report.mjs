// The table printed at the end of a run, the SPEC §4 target checks, and bench/RESULTS.md.
const MB = 1024 * 1024

const fmtInt = (n) => (n == null ? '—' : Math.round(n).toLocaleString('en-US'))
const fmt1 = (n) => (n == null ? '—' : n.toFixed(1))
const fmt2 = (n) => (n == null ? '—' : n.toFixed(2))
const mb = (b) => (b == null ? '—' : (b / MB).toFixed(1))

const THROUGHPUT_HEAD = [
  '#',
  'scenario',
  'server',
  'pipe',
  'req/s',
  '× node:http',
  'CPU µs/req',
  'CPU × node:http',
  'server cores',
  'p50 ms',
  'p99 ms',
  'RSS MB',
  'check',
]
const LATENCY_HEAD = [
  '#',
  'scenario',
  'server',
  'conns',
  'req/s',
  'handler mean ms',
  'handler p99 ms',
  'request mean ms',
  'request p99 ms',
  'RSS MB',
  'check',
]
const IDLE_HEAD = ['#', 'server', 'connections held', 'RSS before MB', 'RSS after MB', 'added MB', 'per conn KB']

function rowsOf(results) {
  const t = []
  const l = []
  const i = []
  for (const sc of results.scenarios) {
    for (const r of sc.rows) {
      const check = r.check ?? 'ok'
      if (sc.kind === 'throughput') {
        const ratio = fmt2(r.ratio) + (r.compareRatio != null ? ` (× ${sc.compareTo}: ${fmt2(r.compareRatio)})` : '')
        t.push([
          sc.n,
          sc.id,
          r.server,
          r.pipelining,
          fmtInt(r.rps),
          ratio,
          fmt1(r.cpuPerReq),
          fmt2(r.cpuRatio),
          fmt2(r.cpuUse),
          fmt1(r.latency.p50),
          fmt1(r.latency.p99),
          mb(r.rss),
          check,
        ])
      } else if (sc.kind === 'latency') {
        l.push([
          sc.n,
          sc.id,
          r.server,
          r.connections,
          fmtInt(r.rps),
          fmt1(r.handler?.mean),
          fmt1(r.handler?.p99),
          fmt1(r.latency.mean),
          fmt1(r.latency.p99),
          mb(r.rss),
          check,
        ])
      } else if (sc.kind === 'idle') {
        const per = r.held ? ((r.rssAfter - r.rssBefore) / r.held / 1024).toFixed(1) : '—'
        i.push([
          sc.n,
          r.server,
          `${r.held} / ${r.requested}`,
          mb(r.rssBefore),
          mb(r.rssAfter),
          mb(r.rssAfter - r.rssBefore),
          per,
        ])
      }
    }
  }
  return { t, l, i }
}

function skippedLines(results) {
  const lines = []
  for (const [id, s] of Object.entries(results.servers)) {
    if (s.status !== 'ready') lines.push(`server ${id}: ${s.status} — ${s.reason}`)
  }
  for (const sc of results.scenarios) {
    for (const [id, why] of Object.entries(sc.skipped))
      lines.push(`scenario ${sc.n} ${sc.id} on ${id}: skipped — ${why}`)
  }
  return lines
}

function textTable(head, rows) {
  const all = [head, ...rows].map((r) => r.map(String))
  const widths = head.map((_, c) => Math.max(...all.map((r) => r[c].length)))
  return all
    .map((r, k) => {
      const line = r
        .map((cell, c) => (c >= 3 && c < r.length - 1 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd()
      return k === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line
    })
    .join('\n')
}

function mdTable(head, rows) {
  const esc = (s) => String(s).replaceAll('|', '\\|')
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n')
}

function idleRssRows(results) {
  return Object.entries(results.servers)
    .filter(([, s]) => s.status === 'ready')
    .map(([id, s]) => [id, mb(s.idleRss)])
}

function targetRows(results) {
  return results.targets.map((t) => [t.target, t.measured, t.pass == null ? 'n/a' : t.pass ? 'met' : 'MISSED'])
}

export function printReport(results) {
  const { t, l, i } = rowsOf(results)
  const out = []
  out.push(
    `\n${results.machine.cpu} · ${results.machine.cores} cores · ${results.machine.memoryGB} GB · Node ${results.node} · ${results.date}`,
  )
  out.push(
    `autocannon ${results.options.connections} connections, ${results.options.duration} s rounds × ${results.options.rounds}, warm-up ${results.options.warmup} s; ${results.pinning}`,
  )
  const noise = hostNoise(results)
  if (noise) out.push(noise)
  if (t.length) out.push(`\nThroughput\n${textTable(THROUGHPUT_HEAD, t)}`)
  if (l.length) out.push(`\nLatency\n${textTable(LATENCY_HEAD, l)}`)
  if (i.length) out.push(`\nIdle keep-alive connections\n${textTable(IDLE_HEAD, i)}`)
  out.push(`\nIdle RSS after start\n${textTable(['server', 'RSS MB'], idleRssRows(results))}`)
  if (results.targets.length)
    out.push(`\nSPEC §4 targets\n${textTable(['target', 'measured', 'verdict'], targetRows(results))}`)
  const skipped = skippedLines(results)
  if (skipped.length) out.push(`\nSkipped / failed\n  ${skipped.join('\n  ')}`)
  console.log(out.join('\n'))
}

export function markdownReport(results) {
  const { t, l, i } = rowsOf(results)
  const o = results.options
  const md = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` (bench/run.mjs) on ${results.date}. Ratios are taken within this one run; absolute numbers drift on a shared machine.`,
    '',
    `- Machine: ${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.memoryGB} GB, ${results.machine.os}`,
    `- Node ${results.node}; autocannon ${o.connections} connections, pipelining ${o.pipelining.join(' and ')}, ${o.duration} s per round × ${o.rounds} round(s), ${o.warmup} s warm-up per server; ${results.pinning}`,
    `- Skitai packages run from ${results.skitaiFrom}`,
    '- How to read these figures on a shared machine: README.md; what the profiles showed and what was done: FINDINGS.md',
  ]
  const noise = hostNoise(results)
  if (noise) md.push(`- ${noise}`)
  md.push('')
  if (t.length) md.push('## Throughput (scenarios 1–6, 8)', '', mdTable(THROUGHPUT_HEAD, t), '')
  if (l.length) md.push('## Latency (scenario 7)', '', mdTable(LATENCY_HEAD, l), '')
  if (i.length) md.push('## Idle keep-alive connections (scenario 9)', '', mdTable(IDLE_HEAD, i), '')
  md.push('## Idle RSS right after start', '', mdTable(['server', 'RSS MB'], idleRssRows(results)), '')
  if (results.targets.length)
    md.push('## SPEC §4 targets', '', mdTable(['target', 'measured', 'verdict'], targetRows(results)), '')
  const skipped = skippedLines(results)
  if (skipped.length) md.push('## Skipped or failed', '', ...skipped.map((s) => `- ${s}`), '')
  return md.join('\n')
}

/**
 * The host's steal time over the measured rounds: on a quiet host it stays near 0 %; when it climbs,
 * rounds of one server differ by tens of percent and ratios within a few percent of 1 are noise.
 */
function hostNoise(results) {
  const steal = results.steal ?? []
  if (steal.length === 0) return null
  const mean = steal.reduce((a, b) => a + b, 0) / steal.length
  const pct = (x) => `${(x * 100).toFixed(1)} %`
  const busy = steal.filter((x) => x > 0.02).length
  return `Host steal time during the ${steal.length} measured rounds: mean ${pct(mean)}, max ${pct(Math.max(...steal))}; ${busy} round(s) above 2 %`
}

/** How many times b's CPU cost per request a's is (lower is better). */
function cpuX(a, b) {
  return a.cpuPerReq && b.cpuPerReq ? (a.cpuPerReq / b.cpuPerReq).toFixed(2) : '—'
}

/** The SPEC §4 targets, computed from this run's rows (verdicts on req/s; CPU per request shown beside). */
export function computeTargets(results) {
  const targets = []
  const row = (scId, server, p) =>
    results.scenarios
      .find((s) => s.id === scId)
      ?.rows.find((r) => r.server === server && (p == null || r.pipelining === p))
  const ok = (r) => r && r.check == null
  for (const scId of ['hello', 'json', 'params', 'post']) {
    const sc = results.scenarios.find((s) => s.id === scId)
    if (!sc) continue
    for (const p of results.options.pipelining) {
      const saddle = row(scId, 'saddle', p)
      const fastify = row(scId, 'fastify', p)
      const node = row(scId, 'node-http', p)
      if (ok(saddle) && ok(node)) {
        const x = saddle.rps / node.rps
        targets.push({
          target: `${sc.n} ${scId} p${p}: Saddle ≥ 0.9 × node:http`,
          measured: `${x.toFixed(2)} × req/s; CPU per request ${cpuX(saddle, node)} × node:http's`,
          pass: x >= 0.9,
        })
      }
      if (ok(saddle) && ok(fastify)) {
        const x = saddle.rps / fastify.rps
        targets.push({
          target: `${sc.n} ${scId} p${p}: Saddle ≥ Fastify`,
          measured: `${x.toFixed(2)} × req/s; CPU per request ${cpuX(saddle, fastify)} × Fastify's`,
          pass: x >= 1,
        })
      }
    }
  }
  for (const p of results.options.pipelining) {
    const was = row('was-get', 'saddle', p)
    const base = row('was-get', 'saddle-undici', p)
    if (ok(was) && ok(base)) {
      const x = was.rps / base.rps
      targets.push({
        target: `6 was-get p${p}: was.get ≥ 0.9 × undici direct`,
        measured: `${x.toFixed(2)} ×`,
        pass: x >= 0.9,
      })
    }
  }
  const map = row('map', 'saddle')
  if (ok(map)) {
    targets.push({
      target: '7 map: 3 backends × 50 ms collected < 60 ms',
      measured: `handler mean ${fmt1(map.handler?.mean)} ms, p99 ${fmt1(map.handler?.p99)} ms (whole request: mean ${fmt1(map.latency.mean)} ms)`,
      pass: map.handler?.mean != null ? map.handler.mean < 60 : null,
    })
  }
  const saddle = results.servers.saddle
  if (saddle?.status === 'ready' && saddle.idleRss != null) {
    targets.push({
      target: 'idle Saddle worker RSS < 80 MB',
      measured: `${mb(saddle.idleRss)} MB`,
      pass: saddle.idleRss < 80 * MB,
    })
  }
  const idle = row('idle', 'saddle')
  if (idle) {
    const added = idle.rssAfter - idle.rssBefore
    targets.push({
      target: `9 idle: ${idle.requested} idle connections < 200 MB more`,
      measured: `${mb(added)} MB for ${idle.held} held`,
      pass: idle.held === idle.requested && added < 200 * MB,
    })
  }
  return targets
}
