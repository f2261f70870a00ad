// was.db against real PostgreSQL servers started here: `.map` over three databases runs at once,
// `.lb` keeps answering with one member stopped, a query over its timeout is cancelled on the server,
// and credentials never show in errors or the status.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { DB_PGSQL, Was, aliasStatus, registerAlias, unregisterAlias } from '@skitai/was'
import { PG_PASSWORD, type PgServer, havePostgres, startPostgres } from './db-servers.js'

const w = () => new Was('test', 1000)

describe('PostgreSQL servers', { skip: havePostgres ? false : 'PostgreSQL binaries not installed' }, () => {
  let a: PgServer
  let b: PgServer
  before(async () => {
    ;[a, b] = await Promise.all([startPostgres(), startPostgres()])
    for (const db of ['shard1', 'shard2', 'shard3']) {
      registerAlias('@admin', DB_PGSQL, a.member())
      await w().db('@admin').execute(`CREATE DATABASE ${db}`).wait(10)
    }
    registerAlias('@shards', DB_PGSQL, [a.member('shard1'), a.member('shard2'), a.member('shard3')])
    registerAlias('@pair', DB_PGSQL, [a.member(), b.member()], { probeInterval: 30 })
  })
  after(async () => {
    for (const n of ['@admin', '@shards', '@pair']) await unregisterAlias(n)
    await Promise.all([a.destroy(), b.destroy()])
  })

  test('.map over three databases each running pg_sleep(0.05): the three overlap and are collected at once', async () => {
    // Warm the pools: connection setup (SCRAM) is not what is measured.
    await w().db.map('@shards').execute('SELECT 1').getswait(10)
    const sql =
      'SELECT current_database() AS db, extract(epoch FROM clock_timestamp()) AS t0, pg_sleep(0.05)::text AS s, extract(epoch FROM clock_timestamp()) AS t1'
    const best = { ms: Number.POSITIVE_INFINITY }
    for (let round = 0; round < 3; round++) {
      const t = performance.now()
      const set = await w().db.map('@shards').execute(sql).getswait(5)
      const ms = performance.now() - t
      assert.deepEqual(set.status_code, [200, 200, 200])
      const rows = set.data.map(
        (d) => (d as Array<{ db: string; t0: string; t1: string }>)[0] as { db: string; t0: string; t1: string },
      )
      assert.deepEqual(
        rows.map((r) => r.db),
        ['shard1', 'shard2', 'shard3'],
      )
      // Overlap by the server's own clock: every query started before any of them ended.
      const lastStart = Math.max(...rows.map((r) => Number(r.t0)))
      const firstEnd = Math.min(...rows.map((r) => Number(r.t1)))
      assert.ok(lastStart < firstEnd, `the three sleeps overlap on the server (${lastStart} < ${firstEnd})`)
      best.ms = Math.min(best.ms, ms)
    }
    console.log(`# .map over 3 databases × pg_sleep(0.05): collected in ${best.ms.toFixed(1)} ms (best of 3)`)
    // Serial would be ≥ 150 ms; the spec's target is < 80 ms (the bench run records the figure).
    assert.ok(best.ms < 150, `collected in ${best.ms.toFixed(1)} ms, not one after the other`)
  })

  test('.lb with one member stopped: 100 queries, 0 failures; the member comes back', async () => {
    await w().db.lb('@pair').execute('SELECT 1').wait(10)
    await b.stop()
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => w().db.lb('@pair').execute('SELECT $1::int AS i', [i]).getwait(10)),
    )
    const failed = results.filter((r) => r.status_code !== 200)
    assert.equal(failed.length, 0, failed.map((r) => r.reason).join('; '))
    assert.deepEqual(
      results.map((r) => (r.data as Array<{ i: number }>)[0]?.i),
      Array.from({ length: 100 }, (_, i) => i),
    )
    const st = aliasStatus().find((s) => s.name === 'pair')
    const down = st?.members.find((m) => m.down)
    assert.ok(down !== undefined, 'the stopped member is marked down')
    assert.match(String(down.address), /^postgres@127\.0\.0\.1:\d+\/postgres$/)
    assert.ok(!JSON.stringify(st).includes(PG_PASSWORD) && !JSON.stringify(st).includes('w0rd'))
    await b.start()
  })

  test('a member that cannot be reached: status 2, a reason naming user@host, never the password', async () => {
    await b.stop()
    registerAlias('@gone', DB_PGSQL, b.member(), { probeInterval: 30, connectTimeout: 2 })
    try {
      const r = await w().db('@gone').execute('SELECT 1').getwait(5)
      assert.equal(r.status, 2)
      assert.equal(r.status_code, 701)
      assert.match(String(r.member), /^postgres@127\.0\.0\.1:/)
      assert.ok(!`${r.reason} ${r.error?.message} ${r.member}`.includes('w0rd'), r.reason)
      await assert.rejects(w().db('@gone').execute('SELECT 1').fetch(5), (e: any) => e.status === 502)
    } finally {
      await unregisterAlias('@gone')
      await b.start()
    }
  })

  test('a query over its timeout: status 1, and it is cancelled on the server (gone from pg_stat_activity)', async () => {
    const marker = `skitai_timeout_${process.pid}`
    const sleeping = `SELECT pg_sleep(20) AS ${marker}`
    const activity = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = '${sleeping}'`
    const t = performance.now()
    const r = await w().db('@admin', { timeout: 0.3 }).execute(sleeping).getwait(10)
    assert.equal(r.status, 1)
    assert.equal(r.status_code, 730)
    assert.ok(performance.now() - t < 5000)
    let n = 1
    for (let i = 0; i < 50 && n > 0; i++) {
      await new Promise((res) => setTimeout(res, 50))
      n = ((await w().db('@admin').execute(activity).one(5)) as { n: number }).n
    }
    assert.equal(n, 0, 'the sleeping query is no longer running on the server')
    // The collector's timeout cancels it the same way.
    const r2 = await w().db('@admin').execute(sleeping).getwait(0.3)
    assert.equal(r2.status, 1)
    n = 1
    for (let i = 0; i < 50 && n > 0; i++) {
      await new Promise((res) => setTimeout(res, 50))
      n = ((await w().db('@admin').execute(activity).one(5)) as { n: number }).n
    }
    assert.equal(n, 0)
  })

  test('a query never collected is cancelled when the request ends (was.close())', async () => {
    const marker = `skitai_close_${process.pid}`
    const sleeping = `SELECT pg_sleep(20) AS ${marker}`
    const activity = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = '${sleeping}' AND state = 'active'`
    const req = w()
    req.db('@admin').execute(sleeping)
    let n = 0
    for (let i = 0; i < 50 && n === 0; i++) {
      await new Promise((res) => setTimeout(res, 20))
      n = ((await w().db('@admin').execute(activity).one(5)) as { n: number }).n
    }
    assert.equal(n, 1, 'running')
    req.close()
    for (let i = 0; i < 50 && n > 0; i++) {
      await new Promise((res) => setTimeout(res, 50))
      n = ((await w().db('@admin').execute(activity).one(5)) as { n: number }).n
    }
    assert.equal(n, 0, 'cancelled on the server')
  })
})
