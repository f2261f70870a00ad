// The HTTP/2 and TLS bench (bench/README.md "HTTP/2 and TLS"), side by side in one run:
//   h2load -n N -c 100 -m 10 on / and /json, over h2c and h2 with TLS: Saddle, Fastify (http2: true /
//     https + http2), raw node:http2 (its compatibility API, `createServer(listener)`: the SPEC's
//     baseline) and, for reference, raw node:http2's stream API (`stream.respond` + `stream.end`);
//   autocannon over https/1.1 on / and /json: Saddle, Fastify (https), raw node:https;
//   the cost of compression: autocannon on a 10 KB JSON answer from Saddle with and without
//     Accept-Encoding: gzip, and with compression off.
// Each server runs in its own process, started afresh every round; the servers compared run side by side and their rounds interleave (the order rotating each round);
// the best of the rounds counts, and the server's CPU per request (user + system from /proc around
// each round; the lowest of the rounds) is printed beside it: on a shared machine it is the steadier figure.
//   node bench/h2.mjs [--quick] [--write]   (npm run bench runs it too: `--only h2` alone)
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { cpuPlan, pinned, pinSelf } from './lib/cpus.mjs'
import { cpuSecondsOf, freePort, sleep } from './lib/procs.mjs'

let rounds = 5
let requests = 100_000
let duration = 5
// each round's fresh processes are warmed up (JIT) before they are measured
let warmRequests = 20_000
let warmSeconds = 2
const serverScript = new URL('./servers/h2.mjs', import.meta.url).pathname
// as in the main bench (bench/lib/cpus.mjs): the server under test on CPU 1, the load generators
// (h2load, autocannon in this process) on CPU 0, so that they do not take turns on one core
const cpus = cpuPlan()
const loadCpu = cpus.taskset ? cpus.bench : null

let certDir = ''
function makeCert() {
  certDir = mkdtempSync(join(tmpdir(), 'skitai-h2bench-'))
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(certDir, 'key.pem'),
      '-out',
      join(certDir, 'cert.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  )
}

async function withServer(kind, tls, env, fn) {
  const port = await freePort()
  const [cmd, args] = pinned(cpus.server, [serverScript, kind, String(port), ...(tls ? [certDir] : [])])
  const child = spawn(cmd, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => d.toString().includes('listening') && resolve())
    child.on('exit', (code) => reject(new Error(`${kind} exited with ${code}`)))
  })
  await sleep(200)
  try {
    return await fn(port, child.pid)
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
}

/** Several servers at once (each in its own process), for rounds that interleave. */
async function withServers(kinds, tls, fn) {
  const ports = {}
  const pids = {}
  const run = async (i) => {
    if (i === kinds.length) return fn(ports, pids)
    return withServer(kinds[i], tls, {}, (port, pid) => {
      ports[kinds[i]] = port
      pids[kinds[i]] = pid
      return run(i + 1)
    })
  }
  return run(0)
}

// Fresh processes per round: two processes of the same server, started side by side and measured in
// alternating rounds, differed by 3–4 % in CPU per request over 16 rounds (Saddle and Saddle, Fastify and
// Fastify: each process keeps its own JIT decisions and memory layout for its whole life), as much as the
// servers compared differ. With one process per server for the whole run that luck decided verdicts;
// starting the servers afresh every round spreads it over the rounds.

/**
 * The order of the servers in round `i`: rotated by one each round, so that no server always runs first
 * (right after the others' rounds) or last. With a fixed order the first server's figures came out
 * lower run after run, whichever server it was (Saddle https/1.1 `/json` 0.85 × Fastify first, 1.05 ×
 * when Fastify went first).
 */
function rotated(kinds, i) {
  const k = i % kinds.length
  return [...kinds.slice(k), ...kinds.slice(0, k)]
}

/** h2load pinned to the load generator's CPU (when there is taskset). */
function h2loadCommand(args) {
  return loadCpu === null ? ['h2load', args] : ['taskset', ['-c', String(loadCpu), 'h2load', ...args]]
}

/** CPU µs per request of `pid` over a round that answered `n` requests (null off Linux). */
function cpuPerRequest(pid, before, n) {
  const after = pid === undefined ? null : cpuSecondsOf(pid)
  return before === null || after === null || n <= 0 ? null : ((after - before) * 1e6) / n
}

/** One h2load run: req/s, the failed/errored counts from its summary, and the server's CPU µs/req. */
function h2load(url, clients, streams, pid, n = requests) {
  const [cmd, args] = h2loadCommand(['-n', String(n), '-c', String(clients), '-m', String(streams), url])
  const cpu0 = pid === undefined ? null : cpuSecondsOf(pid)
  const out = execFileSync(cmd, args, {
    encoding: 'utf8',
    timeout: 300_000,
  })
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1] ?? 0)
  const m = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out)
  const proto = /Application protocol: (\S+)/.exec(out)?.[1] ?? '?'
  const succeeded = Number(m?.[4] ?? 0)
  const cpuUs = cpuPerRequest(pid, cpu0, succeeded)
  return { rps, succeeded, failed: Number(m?.[5] ?? -1), errored: Number(m?.[6] ?? -1), proto, cpuUs }
}

async function cannon(port, path, tls, headers = {}, pid = undefined, seconds = duration) {
  const cpu0 = pid === undefined ? null : cpuSecondsOf(pid)
  const r = await autocannon({
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}${path}`,
    connections: 50,
    pipelining: 1,
    duration: seconds,
    headers,
  })
  return {
    rps: r.requests.total / (r.duration || seconds),
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    bytes: r.throughput.average,
    cpuUs: cpuPerRequest(pid, cpu0, r.requests.total),
  }
}

const PATHS = ['/', '/json']
const urlOf = (tls, port, path) => `${tls ? 'https' : 'http'}://127.0.0.1:${port}${path}`
const best = (xs) => xs.reduce((a, b) => (b.rps > a.rps ? b : a))
const leastCpu = (xs) => {
  const c = xs.map((x) => x.cpuUs).filter((x) => x != null)
  return c.length === 0 ? null : Math.min(...c)
}

/**
 * `rounds` rounds, each with the servers started afresh ("Fresh processes per round" above) side by side:
 * per path every fresh process is warmed up, then each is measured once, in an order that rotates
 * (rotated above), so a disturbance of the shared machine hits all of them alike. Returns the runs by
 * path and server.
 */
async function roundsOfFreshServers(kinds, tls, warm, measure) {
  const runs = Object.fromEntries(PATHS.map((p) => [p, Object.fromEntries(kinds.map((k) => [k, []]))]))
  for (let i = 0; i < rounds; i++)
    await withServers(rotated(kinds, i), tls, async (ports, pids) => {
      for (const path of PATHS) {
        for (const kind of kinds) await warm(ports[kind], path)
        for (const kind of rotated(kinds, i)) runs[path][kind].push(await measure(ports[kind], path, pids[kind]))
      }
    })
  return runs
}

/** Per path and server: the best round, the lowest CPU per request of the rounds, every round's req/s. */
function bestRounds(runs, kinds) {
  return PATHS.flatMap((path) =>
    kinds.map((server) => {
      const r = runs[path][server]
      return { path, server, ...best(r), cpuUs: leastCpu(r), rounds: r.map((x) => Math.round(x.rps)) }
    }),
  )
}

/** `only`: run just these parts (`h2load`, `https`, `compression`), for a look at one of them; all by default. */
export async function runH2Bench({ quick = false, only = null } = {}) {
  const part = (name) => only === null || only.includes(name)
  if (quick) {
    rounds = 1
    requests = 5_000
    duration = 1
    warmRequests = 1_000
    warmSeconds = 1
  }
  makeCert()
  if (loadCpu !== null) pinSelf(loadCpu)
  console.log('\n== HTTP/2 and TLS (bench/h2.mjs)')
  const results = {
    date: Date.now(),
    pinned: loadCpu !== null,
    rounds,
    requests,
    duration,
    h2load: [],
    https: [],
    compression: [],
    zeroErrors: [],
  }
  const h2Servers = ['saddle', 'fastify', 'node-http2', 'node-http2-stream']
  for (const tls of part('h2load') ? [false, true] : []) {
    const runs = await roundsOfFreshServers(
      h2Servers,
      tls,
      (port, path) => h2load(urlOf(tls, port, path), 10, 10, undefined, warmRequests),
      (port, path, pid) => h2load(urlOf(tls, port, path), 100, 10, pid),
    )
    for (const row of bestRounds(runs, h2Servers)) {
      results.h2load.push({ transport: tls ? 'h2 (TLS)' : 'h2c', ...row })
      console.log(
        `h2load -c 100 -m 10 ${tls ? 'h2+TLS' : 'h2c   '} ${row.path.padEnd(6)} ${row.server.padEnd(17)} ${Math.round(row.rps)} req/s  cpu ${row.cpuUs?.toFixed(1)} µs/req  proto ${row.proto}  failed ${row.failed} errored ${row.errored}  rounds ${row.rounds.join(' / ')}`,
      )
    }
  }
  // -n 20000 -c 50 -m 10 as asked for the 0-error check, over both transports
  for (const tls of part('h2load') ? [false, true] : []) {
    const r = await withServer('saddle', tls, {}, async (port) => {
      const [cmd, args] = h2loadCommand([
        '-n',
        '20000',
        '-c',
        '50',
        '-m',
        '10',
        `${tls ? 'https' : 'http'}://127.0.0.1:${port}/json`,
      ])
      return execFileSync(cmd, args, { encoding: 'utf8' })
    })
    const m = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(r)
    results.zeroErrors.push({ transport: tls ? 'h2 (TLS)' : 'h2c', line: m?.[0] })
    console.log(`h2load -n 20000 -c 50 -m 10 saddle ${tls ? 'h2+TLS' : 'h2c'}: ${m?.[0]}`)
  }
  const httpsServers = ['saddle', 'fastify', 'node-https']
  if (part('https')) {
    const runs = await roundsOfFreshServers(
      httpsServers,
      true,
      (port, path) => cannon(port, path, true, {}, undefined, warmSeconds),
      (port, path, pid) => cannon(port, path, true, {}, pid),
    )
    for (const row of bestRounds(runs, httpsServers)) {
      results.https.push(row)
      console.log(
        `autocannon https/1.1 ${row.path.padEnd(6)} ${row.server.padEnd(11)} ${Math.round(row.rps)} req/s  cpu ${row.cpuUs?.toFixed(1)} µs/req  errors ${row.errors} non2xx ${row.non2xx}  rounds ${row.rounds.join(' / ')}`,
      )
    }
  }
  for (const [label, env, headers] of !part('compression')
    ? []
    : [
        ['identity (no Accept-Encoding)', {}, {}],
        ['gzip', {}, { 'accept-encoding': 'gzip' }],
        ['br', {}, { 'accept-encoding': 'br' }],
        ['compression off, gzip asked', { BENCH_COMPRESSION: 'off' }, { 'accept-encoding': 'gzip' }],
      ]) {
    const runs = await withServer('saddle', false, env, async (port) => {
      await cannon(port, '/json10k', false, headers)
      const out = []
      for (let i = 0; i < rounds; i++) out.push(await cannon(port, '/json10k', false, headers))
      return out
    })
    const b = best(runs)
    results.compression.push({ label, ...b, rounds: runs.map((r) => Math.round(r.rps)) })
    console.log(
      `10 KB JSON ${label.padEnd(30)} ${Math.round(b.rps)} req/s  ${Math.round(b.bytes / b.rps)} B/answer  errors ${b.errors}`,
    )
  }
  return results
}

/** SPEC §4: Saddle ≥ Fastify and ≥ 0.9 × raw node:http2 / node:https, over h2c, h2 with TLS and https. */
export function h2Targets(out) {
  const targets = []
  const add = (label, rows, raw) => {
    const s = rows.find((r) => r.server === 'saddle')
    const f = rows.find((r) => r.server === 'fastify')
    const n = rows.find((r) => r.server === raw)
    if (!s || !f || !n) return
    targets.push({ target: `${label}: Saddle ≥ Fastify`, measured: (s.rps / f.rps).toFixed(2), pass: s.rps >= f.rps })
    targets.push({
      target: `${label}: Saddle ≥ 0.9 × ${raw}`,
      measured: (s.rps / n.rps).toFixed(2),
      pass: s.rps >= 0.9 * n.rps,
    })
  }
  for (const transport of ['h2c', 'h2 (TLS)'])
    for (const path of ['/', '/json'])
      add(
        `${transport} ${path}`,
        out.h2load.filter((r) => r.transport === transport && r.path === path),
        'node-http2',
      )
  for (const path of ['/', '/json'])
    add(
      `https/1.1 ${path}`,
      out.https.filter((r) => r.path === path),
      'node-https',
    )
  return targets
}

const fmt = (n) => Math.round(n).toLocaleString('en-US')

export function h2Markdown(out) {
  const lines = [
    '',
    '<!-- h2 -->',
    '## HTTP/2 and TLS (bench/h2.mjs)',
    '',
    `${new Date(out.date).toISOString()}, Node ${process.version}; the compared servers side by side, started afresh every round and measured one after another in an order that rotates each round, best of ${out.rounds} rounds; ${out.pinned ? 'servers pinned to CPU 1, h2load and autocannon to CPU 0; ' : ''}h2load -n ${out.requests} -c 100 -m 10, autocannon 50 connections for ${out.duration} s; written by \`npm run bench\` or \`node bench/h2.mjs --write\` (under \`flock /work/notes/bench.lock\`). Other work shared the machine's 2 cores during the run: compare the ratios, not the absolute figures. Command lines: \`h2load -n ${out.requests} -c 100 -m 10 http://127.0.0.1:PORT/\` (\`https://\` for h2 with TLS, negotiated by ALPN), autocannon \`-c 50 -d ${out.duration} https://127.0.0.1:PORT/\`.`,
    '',
    "req/s, best round; CPU µs/req, the server's user + system time per answer, lowest round. \"node:http2\" is the SPEC's baseline, `http2.createServer(listener)` (node's compatibility API, which Fastify uses too); \"stream API\" is a bare `server.on('stream')` with `stream.respond` + `stream.end`, for reference: the floor of node:http2 itself.",
    '',
    '| h2load -c 100 -m 10 | path | Saddle | Fastify | node:http2 | stream API | Saddle / Fastify | Saddle / node:http2 | CPU µs/req: Saddle / Fastify / node:http2 / stream API |',
    '|---|---|---|---|---|---|---|---|---|',
  ]
  const us = (r) => (r?.cpuUs == null ? '–' : r.cpuUs.toFixed(1))
  const pick = (rows, server) => rows.find((r) => r.server === server)
  for (const transport of ['h2c', 'h2 (TLS)']) {
    for (const path of ['/', '/json']) {
      const rows = out.h2load.filter((r) => r.transport === transport && r.path === path)
      const [s, f, n, st] = ['saddle', 'fastify', 'node-http2', 'node-http2-stream'].map((id) => pick(rows, id))
      lines.push(
        `| ${transport} | \`${path}\` | ${fmt(s.rps)} | ${fmt(f.rps)} | ${fmt(n.rps)} | ${st ? fmt(st.rps) : '–'} | ${(s.rps / f.rps).toFixed(2)} | ${(s.rps / n.rps).toFixed(2)} | ${us(s)} / ${us(f)} / ${us(n)} / ${us(st)} |`,
      )
    }
  }
  lines.push(
    '',
    '| autocannon https/1.1 | path | Saddle | Fastify | node:https | Saddle / Fastify | Saddle / node:https | CPU µs/req: Saddle / Fastify / node:https |',
    '|---|---|---|---|---|---|---|---|',
  )
  for (const path of ['/', '/json']) {
    const rows = out.https.filter((r) => r.path === path)
    const [s, f, n] = ['saddle', 'fastify', 'node-https'].map((id) => pick(rows, id))
    lines.push(
      `| https | \`${path}\` | ${fmt(s.rps)} | ${fmt(f.rps)} | ${fmt(n.rps)} | ${(s.rps / f.rps).toFixed(2)} | ${(s.rps / n.rps).toFixed(2)} | ${us(s)} / ${us(f)} / ${us(n)} |`,
    )
  }
  lines.push('', 'h2load -n 20000 -c 50 -m 10 on Saddle `/json`:', '')
  for (const z of out.zeroErrors) lines.push(`- ${z.transport}: \`${z.line}\``)
  lines.push('', '**Compression** — a 10 KB JSON answer from Saddle, autocannon 50 connections over HTTP/1.1:', '')
  lines.push('| request | req/s | bytes per answer (with headers) |', '|---|---|---|')
  for (const c of out.compression) lines.push(`| ${c.label} | ${fmt(c.rps)} | ${fmt(c.bytes / c.rps)} |`)
  lines.push('', '| target (SPEC §4) | measured | |', '|---|---|---|')
  for (const t of h2Targets(out)) lines.push(`| ${t.target} | ${t.measured} | ${t.pass ? 'met' : 'missed'} |`)
  lines.push('<!-- /h2 -->')
  return `${lines.join('\n')}\n`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const onlyAt = process.argv.indexOf('--only')
  const only = onlyAt > 0 ? String(process.argv[onlyAt + 1]).split(',') : null
  const out = await runH2Bench({ quick: process.argv.includes('--quick'), only })
  if (process.argv.includes('--write') && only !== null) console.log('--only: not written (a partial run)')
  else if (process.argv.includes('--write')) {
    writeFileSync(new URL('./results/h2-latest.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`)
    // replaces this script's section of bench/RESULTS.md (npm run bench keeps it when it rewrites the file)
    const file = fileURLToPath(new URL('./RESULTS.md', import.meta.url))
    const text = readFileSync(file, 'utf8')
    const section = h2Markdown(out).trim()
    const re = /<!-- h2 -->[\s\S]*?<!-- \/h2 -->/
    writeFileSync(file, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`)
    console.log('wrote the HTTP/2 section of bench/RESULTS.md')
  }
}
