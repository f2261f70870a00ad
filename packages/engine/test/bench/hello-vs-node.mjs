// Hello-world throughput of the engine serving a plain Node listener vs the same listener on bare
// node:http: `npm run build && node packages/engine/test/bench/hello-vs-node.mjs [rounds] [seconds]`.
// Each server runs in its own process; autocannon (-c 100) runs them alternately, in one run.
import { execFile, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const rounds = Number(process.argv[2] ?? 3)
const seconds = Number(process.argv[3] ?? 10)
const kinds = (process.argv[4] ?? 'bare,engine').split(',')
const server = fileURLToPath(new URL('./hello-server.mjs', import.meta.url))
const autocannon = fileURLToPath(new URL('../../../../node_modules/.bin/autocannon', import.meta.url))

function cpuOf(child) {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m.cpu))
    child.send('cpu')
  })
}

async function measure(kind, port) {
  const child = fork(server, [kind, String(port)], { stdio: 'inherit' })
  await new Promise((resolve) => child.once('message', resolve))
  try {
    // warm-up, then the measured run
    await run(autocannon, ['-c', '100', '-d', '2', '--json', `http://127.0.0.1:${port}/`], { maxBuffer: 1 << 26 })
    const cpu0 = await cpuOf(child)
    const { stdout } = await run(
      autocannon,
      ['-c', '100', '-d', String(seconds), '--json', `http://127.0.0.1:${port}/`],
      {
        maxBuffer: 1 << 26,
      },
    )
    const cpu1 = await cpuOf(child)
    const r = JSON.parse(stdout)
    const cpuMicros = cpu1.user + cpu1.system - cpu0.user - cpu0.system
    return {
      rps: r.requests.average,
      p99: r.latency.p99,
      errors: r.errors + r.non2xx,
      cpuPerReq: cpuMicros / r.requests.total,
    }
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
  }
}

const results = Object.fromEntries(kinds.map((k) => [k, []]))
for (let i = 0; i < rounds; i++) {
  for (const kind of kinds) {
    const r = await measure(kind, 7100 + i)
    results[kind].push(r)
    console.log(
      `round ${i + 1} ${kind.padEnd(10)} ${Math.round(r.rps)} req/s  p99 ${r.p99} ms  ${r.cpuPerReq.toFixed(1)} µs CPU/req  errors ${r.errors}`,
    )
  }
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
const base = mean(results[kinds[0]].map((r) => r.rps))
for (const kind of kinds) {
  const m = mean(results[kind].map((r) => r.rps))
  const c = mean(results[kind].map((r) => r.cpuPerReq))
  const c0 = mean(results[kinds[0]].map((r) => r.cpuPerReq))
  console.log(
    `${kind.padEnd(10)} mean ${Math.round(m)} req/s (${(m / base).toFixed(3)} × ${kinds[0]}), ${c.toFixed(1)} µs CPU/req (${(c / c0).toFixed(3)} × ${kinds[0]})`,
  )
}
