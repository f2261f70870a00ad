// The metrics page (README "Status page and metrics") of one process: Prometheus text that a text-format
// parser reads, request counters by app/route/method/status and the latency histogram against the
// requests sent, backend calls by alias/member/outcome after real `was` calls through an alias (one
// member up, one refusing connections), member up/down, and result-cache hits and misses. The page is read by
// the official Prometheus client's parser (prometheus-parse.ts).
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import { after, before, describe, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { unregisterAlias } from '@skitai/was'
import { freePort } from './process-helpers.ts'
import { parsePrometheus, sampleSum, sampleValue } from './prometheus-parse.ts'

describe('metrics page', () => {
  const engine = new Engine()
  engine.enableAccessLog(false)
  let backend: Server
  let base = ''
  let deadPort = 0
  let livePort = 0

  before(async () => {
    backend = createServer((req, res) => {
      res.writeHead(req.url === '/fail' ? 503 : 200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ url: req.url }))
    })
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r))
    livePort = (backend.address() as { port: number }).port
    deadPort = await freePort()
    // the refusing member first, so the first call tries it and fails over
    engine.alias('@metricsback', 'http', [`127.0.0.1:${deadPort}`, `127.0.0.1:${livePort}`], { probeInterval: 60 })
    const app = new Saddle(import.meta.url, { name: 'api' })
    app.route('/items/<int:id>', { name: 'item' }, (_was: unknown, id: number) => ({ id }))
    app.route('/call', { name: 'call' }, async (was: any, path = '/x', cache = 0) => {
      const r = await was
        .get(`@metricsback${path}`)
        .getwait(5, Number(cache) > 0 ? { cache: Number(cache) } : undefined)
      return { status: r.status, code: r.status_code, member: r.member }
    })
    engine.mount('/', app)
    engine.enableMetrics()
    engine.enableStatus()
    base = `http://127.0.0.1:${await engine.listen({ port: 0 })}`
  })
  after(async () => {
    await engine.close(1)
    await unregisterAlias('@metricsback')
    await new Promise((r) => backend.close(r))
  })

  test('prom-client is loaded by the first scrape, not by counting', async () => {
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/prom-client/'))
    assert.equal((await fetch(`${base}/items/1`)).status, 200)
    assert.equal(loaded(), false)
    assert.equal((await fetch(`${base}/__metrics__`)).status, 200)
    assert.equal(loaded(), true)
  })

  test('parses as Prometheus text; request counters and histogram match the requests sent', async () => {
    for (let i = 0; i < 6; i++) assert.equal((await fetch(`${base}/items/${i}`)).status, 200)
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${base}/items/${i}`, { method: 'POST', body: '' })
      assert.equal(r.status, 200)
      await r.text()
    }
    const notFound = await fetch(`${base}/items/not-a-number`)
    assert.equal(notFound.status, 404)
    await notFound.text()
    const res = await fetch(`${base}/__metrics__`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
    const m = await parsePrometheus(await res.text())
    const requests = m.filter((x) => x.name === 'skitai_requests_total')
    assert.ok(requests.length > 0 && requests.every((x) => x.type === 'counter'))
    assert.equal(
      sampleValue(m, 'skitai_requests_total', { app: 'api', route: 'item', method: 'GET', status: '200' }),
      7, // 6 here, 1 in the test before
    )
    assert.equal(
      sampleValue(m, 'skitai_requests_total', { app: 'api', route: 'item', method: 'POST', status: '200' }),
      2,
    )
    assert.equal(sampleValue(m, 'skitai_requests_total', { app: 'api', route: '-', method: 'GET', status: '404' }), 1)
    assert.equal(sampleSum(m, 'skitai_requests_total', { app: 'api' }), 10)
    assert.equal(sampleValue(m, 'skitai_requests_total', { app: '/__metrics__' }), 1)
    const item = { app: 'api', route: 'item', method: 'GET' }
    assert.equal(m.find((x) => x.name === 'skitai_request_duration_seconds_count')?.type, 'histogram')
    assert.equal(sampleValue(m, 'skitai_request_duration_seconds_count', item), 7)
    assert.equal(sampleValue(m, 'skitai_request_duration_seconds_bucket', { ...item, le: '+Inf' }), 7)
    assert.ok(sampleValue(m, 'skitai_request_duration_seconds_sum', item) > 0)
    // buckets are cumulative, in order of their bounds
    const buckets = m
      .filter(
        (x) =>
          x.name === 'skitai_request_duration_seconds_bucket' && x.labels.route === 'item' && x.labels.method === 'GET',
      )
      .map((x) => [x.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(x.labels.le), x.value] as const)
    assert.equal(buckets.length, 13)
    for (let i = 1; i < buckets.length; i++) {
      assert.ok((buckets[i] as readonly number[])[0] > (buckets[i - 1] as readonly number[])[0])
      assert.ok((buckets[i] as readonly number[])[1] >= (buckets[i - 1] as readonly number[])[1])
    }
    assert.equal(sampleValue(m, 'skitai_requests_in_flight'), 1)
    assert.ok(sampleValue(m, 'skitai_connections_open', { protocol: 'http1' }) >= 1)
    assert.equal(sampleValue(m, 'skitai_connections_open', { protocol: 'h2' }), 0)
    assert.equal(sampleValue(m, 'skitai_workers'), 1)
    assert.equal(sampleValue(m, 'skitai_workers_missing'), 0)
  })

  test('backend calls by alias, member and outcome; member up/down', async () => {
    const first = await (await fetch(`${base}/call?path=/a`)).json()
    assert.equal(first.code, 200)
    assert.equal(first.member, `127.0.0.1:${livePort}`)
    for (let i = 0; i < 3; i++) assert.equal((await (await fetch(`${base}/call?path=/b${i}`)).json()).code, 200)
    assert.equal((await (await fetch(`${base}/call?path=/fail`)).json()).code, 503)
    const m = await parsePrometheus(await (await fetch(`${base}/__metrics__`)).text())
    const live = { alias: 'metricsback', member: `127.0.0.1:${livePort}` }
    const dead = { alias: 'metricsback', member: `127.0.0.1:${deadPort}` }
    assert.equal(sampleValue(m, 'skitai_backend_calls_total', { ...live, outcome: 'ok' }), 4)
    assert.equal(sampleValue(m, 'skitai_backend_calls_total', { ...live, outcome: 'error' }), 1)
    assert.equal(sampleValue(m, 'skitai_backend_calls_total', { ...live, outcome: 'failed' }), 0)
    // the refused attempt failed over: the call is counted where it finished
    assert.equal(sampleSum(m, 'skitai_backend_calls_total', dead), 0)
    assert.equal(sampleValue(m, 'skitai_backend_member_up', live), 1)
    assert.equal(sampleValue(m, 'skitai_backend_member_up', dead), 0)
    assert.equal(sampleValue(m, 'skitai_backend_calls_in_flight', live), 0)
    // the status page tells the same, with the reason the member is down
    const s = await (await fetch(`${base}/__status__`, { headers: { accept: 'application/json' } })).json()
    const alias = s.aliases.find((a: { name: string }) => a.name === 'metricsback')
    const deadMember = alias.members.find((m: { address: string }) => m.address === dead.member)
    assert.equal(deadMember.down, true)
    assert.deepEqual(deadMember.downIn, ['M'])
    assert.match(deadMember.downReason, /ECONNREFUSED/)
    assert.equal(deadMember.failures, 1)
    const liveMember = alias.members.find((m: { address: string }) => m.address === live.member)
    assert.equal(liveMember.down, false)
    assert.equal(liveMember.calls.ok, 4)
  })

  test('result-cache hits and misses', async () => {
    const m0 = await parsePrometheus(await (await fetch(`${base}/__metrics__`)).text())
    const hits0 = sampleValue(m0, 'skitai_result_cache_hits_total')
    const misses0 = sampleValue(m0, 'skitai_result_cache_misses_total')
    // stored by the first call, found by the next two; another path is a miss (the cache is not empty)
    for (let i = 0; i < 3; i++)
      assert.equal((await (await fetch(`${base}/call?path=/cached&cache=60`)).json()).code, 200)
    assert.equal((await (await fetch(`${base}/call?path=/other&cache=60`)).json()).code, 200)
    const m = await parsePrometheus(await (await fetch(`${base}/__metrics__`)).text())
    assert.equal(sampleValue(m, 'skitai_result_cache_hits_total') - hits0, 2)
    assert.equal(sampleValue(m, 'skitai_result_cache_misses_total') - misses0, 1)
    assert.equal(sampleValue(m, 'skitai_result_cache_entries'), 2)
    const s = await (await fetch(`${base}/__status__`, { headers: { accept: 'application/json' } })).json()
    assert.equal(s.cache.size, 2)
    assert.equal(s.cache.hitRate, s.cache.hits / (s.cache.hits + s.cache.misses))
  })
})
