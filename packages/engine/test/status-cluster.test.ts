// Status and metrics summed over cluster workers by the master (README "Status page and metrics"): a real
// node:cluster server (fixtures/status-cluster.ts: a primary and two workers on one port) under autocannon
// load; the request counters of the status JSON and of the metrics page add up to the requests answered,
// both workers took part; a worker that cannot answer (SIGSTOP) is reported missing within the master's
// timeout while the other worker's figures still come.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { request } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { freePort } from './process-helpers.ts'
import { parsePrometheus, sampleSum, sampleValue } from './prometheus-parse.ts'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const FIXTURE = fileURLToPath(new URL('./fixtures/status-cluster.ts', import.meta.url))

/** One GET on a connection of its own (so the cluster hands it to the next worker), with a deadline. */
function get(port: number, path: string, accept: string, ms: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { accept } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
    })
    req.setTimeout(ms, () => req.destroy(new Error(`no answer within ${ms} ms`)))
    req.on('error', reject)
    req.end()
  })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

interface Cluster {
  child: ChildProcess
  port: number
  output(): string
}

/** Starts the fixture and resolves once both workers listen. */
async function startCluster(env: Record<string, string> = {}): Promise<Cluster> {
  const port = await freePort()
  let output = ''
  const child = spawn(
    process.execPath,
    ['--conditions=skitai-source', '--import', './packages/engine/bin/register.mjs', FIXTURE],
    { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stderr?.on('data', (d) => (output += d))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the cluster did not start:\n${output}`)), 60_000)
    child.stdout?.on('data', (d: Buffer) => {
      output += d
      if (output.includes('ready W0 W1')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`the cluster exited (${code}) before it was ready:\n${output}`)))
  })
  return { child, port, output: () => output }
}

/** SIGTERM to the primary, then SIGKILL to any worker still there: nothing is left running. */
async function stopCluster(c: Cluster | undefined, workerPids: number[]): Promise<void> {
  for (const pid of workerPids) if (alive(pid)) process.kill(pid, 'SIGCONT')
  if (c !== undefined && c.child.exitCode === null) {
    const exited = new Promise((r) => c.child.once('exit', r))
    c.child.kill('SIGTERM')
    await exited
  }
  for (const pid of workerPids) if (alive(pid)) process.kill(pid, 'SIGKILL')
}

describe('status and metrics over two cluster workers', () => {
  let c: Cluster
  let port = 0
  const workerPids: number[] = []

  before(async () => {
    c = await startCluster()
    port = c.port
  })
  after(() => stopCluster(c, workerPids))

  test('under load, the counters add up to the requests answered, from both workers', async () => {
    const r = await autocannon({ url: `http://127.0.0.1:${port}/`, connections: 20, amount: 4000 })
    const answered = r['2xx'] + r.non2xx
    assert.equal(r.errors, 0)
    assert.equal(r.non2xx, 0)
    assert.equal(answered, 4000)

    const res = await get(port, '/__status__', 'application/json', 10_000)
    assert.equal(res.status, 200)
    const s = JSON.parse(res.text)
    assert.equal(s.workers.count, 2)
    assert.deepEqual(s.workers.missing, [])
    const workers = s.workers.list.map((w: { worker: string }) => w.worker).sort()
    assert.deepEqual(workers, ['W0', 'W1'])
    for (const w of s.workers.list) {
      workerPids.push(w.pid)
      assert.ok(w.requests > 0, `${w.worker} served some of the load (${w.requests})`)
    }
    assert.notEqual(workerPids[0], workerPids[1])
    // the status request itself is counted only once it has closed: not in its own answer
    assert.equal(s.requests.total, answered)
    assert.equal(
      s.workers.list.reduce((n: number, w: { requests: number }) => n + w.requests, 0),
      answered,
    )
    assert.deepEqual(s.requests.byStatus, { 200: answered })
    assert.deepEqual(s.requests.byApp, { hello: answered })

    const page = await get(port, '/__metrics__', 'text/plain', 10_000)
    assert.equal(page.status, 200)
    const m = await parsePrometheus(page.text)
    assert.equal(sampleValue(m, 'skitai_workers'), 2)
    assert.equal(sampleValue(m, 'skitai_workers_missing'), 0)
    assert.equal(
      sampleValue(m, 'skitai_requests_total', { app: 'hello', route: 'index', method: 'GET', status: '200' }),
      answered,
    )
    // ± the status request before it, which is counted by now
    assert.equal(sampleSum(m, 'skitai_requests_total'), answered + 1)
    assert.equal(sampleValue(m, 'skitai_requests_total', { app: '/__status__' }), 1)
    assert.equal(sampleValue(m, 'skitai_request_duration_seconds_count', { route: 'index' }), answered)
    // one sample per label set: the workers' series are summed, not listed side by side
    const index = m.filter((x) => x.name === 'skitai_requests_total' && x.labels.route === 'index')
    assert.equal(index.length, 1)
  })

  test('a worker that cannot answer is reported missing; the other still answers', async () => {
    assert.equal(workerPids.length, 2)
    const stopped = workerPids[0] as number
    process.kill(stopped, 'SIGSTOP')
    try {
      let report: any = null
      // the cluster hands each new connection to the next worker: one of the first few reaches the live one
      for (let attempt = 0; attempt < 4 && report === null; attempt++) {
        try {
          const res = await get(port, '/__status__', 'application/json', 4000)
          if (res.status === 200) report = JSON.parse(res.text)
        } catch {
          // this connection went to the stopped worker
        }
      }
      assert.ok(report, 'a status answer came from the live worker')
      assert.equal(report.workers.count, 1)
      assert.equal(report.workers.missing.length, 1)
      assert.match(report.workers.missing[0], new RegExp(`pid ${stopped}\\)`))
      assert.notEqual(report.workers.list[0].pid, stopped)
    } finally {
      process.kill(stopped, 'SIGCONT')
    }
  })
})

describe('a primary that does not collect', () => {
  let c: Cluster
  const workerPids: number[] = []
  before(async () => {
    c = await startCluster({ PRIMARY_COLLECTS: '0' })
  })
  after(() => stopCluster(c, workerPids))

  test('the worker answers with its own figures and says the master did not answer', async () => {
    const res = await get(c.port, '/__status__', 'application/json', 10_000)
    assert.equal(res.status, 200)
    const s = JSON.parse(res.text)
    workerPids.push(s.workers.list[0].pid)
    assert.equal(s.workers.count, 1)
    assert.match(s.workers.missing[0], /the master did not answer within \d+ ms/)
    const page = await get(c.port, '/__metrics__', 'text/plain', 10_000)
    const m = await parsePrometheus(page.text)
    assert.equal(sampleValue(m, 'skitai_workers'), 1)
    assert.equal(sampleValue(m, 'skitai_workers_missing'), 1)
    // the other worker's pid, for the clean-up, from a few more connections
    for (let i = 0; i < 4 && workerPids.length < 2; i++) {
      const again = JSON.parse((await get(c.port, '/__status__', 'application/json', 10_000)).text)
      const pid = again.workers.list[0].pid
      if (!workerPids.includes(pid)) workerPids.push(pid)
    }
  })
})
