// run({ workers }) with real processes: both workers answer, process titles, worker ids in the access
// log, a worker killed with SIGKILL under load replaced within a second, and a crash loop that backs off.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import autocannon from 'autocannon'
import { alive, Cluster } from './cluster-kit.js'

test('workers: 2 — both answer, titles, SKITAI_WORKER_ID and W0/W1 in the access log; SIGTERM exits 0', async () => {
  const c = await Cluster.start(['--workers', '2'])
  try {
    const answers = []
    for (let i = 0; i < 200; i++) answers.push(await c.get('/'))
    assert.ok(answers.every((a) => a.status === 200))
    const pids = new Set(answers.map((a) => a.pid))
    assert.equal(pids.size, 2, `two worker pids answered: ${[...pids]}`)
    assert.deepEqual(new Set(answers.map((a) => a.worker)), new Set(['0', '1']))
    for (const a of answers) assert.equal(a.title, `skitai/clustertest: worker #${a.worker}`)
    // the access log's worker field, over the 200 requests
    const ids = new Map<string, number>()
    await c.waitFor(/(?:.* GET \/ HTTP\/1\.1 [^\n]*\n){200}/, 5000) // the log is written in batches
    for (const m of c.out.matchAll(/ GET \/ HTTP\/1\.1 .* (W\d+|M) \d+ \d+ms \d+ms$/gm))
      ids.set(m[1] as string, (ids.get(m[1] as string) ?? 0) + 1)
    assert.deepEqual([...ids.keys()].sort(), ['W0', 'W1'], `worker ids in the log: ${[...ids]}`)
    assert.equal((ids.get('W0') ?? 0) + (ids.get('W1') ?? 0), 200)
    console.log(`200 requests: W0 ${ids.get('W0')}, W1 ${ids.get('W1')}`)
    const { readFileSync } = await import('node:fs')
    assert.equal(readFileSync(`/proc/${c.child.pid}/cmdline`, 'utf8').replace(/\0+$/, ''), 'skitai/clustertest: master')
  } finally {
    const e = await c.stop()
    assert.deepEqual(e, { code: 0, signal: null }, c.serverLog.slice(-2000))
  }
})

test('kill -9 of a worker under load: a new worker answers within a second; failures counted', async () => {
  const c = await Cluster.start(['--workers', '2'], { env: { LOG_OFF: '1' } })
  try {
    const before = await c.pids(20)
    assert.equal(before.size, 2)
    const victim = [...before][0] as number
    const load = autocannon({ url: `http://127.0.0.1:${c.port}/`, connections: 10, duration: 4 })
    await new Promise((r) => setTimeout(r, 1500))
    const killedAt = performance.now()
    process.kill(victim, 'SIGKILL')
    // probe on new connections until a pid that was not there before answers
    let newPid = 0
    let ms = 0
    while (performance.now() - killedAt < 5000) {
      const a = await c.get('/', 300).catch(() => null)
      if (a !== null && !before.has(a.pid)) {
        newPid = a.pid
        ms = performance.now() - killedAt
        break
      }
      await new Promise((r) => setTimeout(r, 5))
    }
    const r = await load
    const failed = r.errors + r.non2xx
    console.log(
      `kill -9 → new worker ${newPid} answered after ${ms.toFixed(0)} ms; load: ${r.requests.total} requests, ${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`,
    )
    assert.ok(newPid > 0, `a new worker answered within 5 s:\n${c.serverLog.slice(-3000)}`)
    assert.ok(
      ms < 1500,
      `the new worker answered ${ms.toFixed(0)} ms after the kill (bound 1 s, slack for the shared cores)`,
    )
    assert.ok(!alive(victim))
    assert.match(
      c.out,
      new RegExp(`worker #\\d \\(pid ${victim}\\) died after \\d+ s \\(signal SIGKILL\\); starting a new one`),
    )
    // only what was in flight on the killed worker's connections can fail: at most one per connection
    assert.ok(failed <= 10, `${failed} failed requests (at most the 10 connections' requests in flight)`)
  } finally {
    assert.equal((await c.stop()).code, 0)
  }
})

test('a worker that throws at start: backoff, a clear log line, no fork storm', async () => {
  const c = await Cluster.start(['--workers', '2'], { env: { CRASH_AT_START: '1' } })
  try {
    await new Promise((r) => setTimeout(r, 10_000))
    const deaths = [...c.out.matchAll(/worker #\d \(pid (\d+)\) died before it was ready/g)].length
    const { readFileSync } = await import('node:fs')
    const children = readFileSync(`/proc/${c.child.pid}/task/${c.child.pid}/children`, 'utf8').trim()
    const forks = deaths + (children === '' ? 0 : children.split(/\s+/).length) // dead + alive now
    console.log(`crash loop: ${forks} forks in about 10 s`)
    assert.match(
      c.out,
      /died before it was ready \(exit code 1; last error: Error: this worker fails at start.*\); \d+ start failure\(s\) in a row: next start in \d+\.\d s \(backoff\)/,
    )
    assert.ok(forks <= 8, `${forks} forks in 10 s`)
  } finally {
    assert.equal((await c.stop()).code, 0)
  }
})
