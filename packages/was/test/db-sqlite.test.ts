// DB_SQLITE3 through better-sqlite3 in worker threads: the same Task API as PostgreSQL, SQLite's error
// codes as faults, transactions, and a slow statement that never stalls the server's event loop.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { DB_SQLITE3, DbFaultError, type DbResult, Was, registerAlias, unregisterAlias } from '@skitai/was'
import { request } from 'undici'

const w = () => new Was('test', 1000)
const dir = mkdtempSync(join(tmpdir(), 'skitai-sqlite-'))
const count = (n: number) =>
  `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) SELECT count(*) AS n FROM c`

describe('SQLite through was.db', () => {
  before(async () => {
    registerAlias('@lite', DB_SQLITE3, join(dir, 'app.sqlite3'))
    await w()
      .db('@lite')
      .execute('CREATE TABLE cities (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, population INT)')
      .wait(10)
  })
  after(async () => {
    await unregisterAlias('@lite')
    rmSync(dir, { recursive: true, force: true })
  })

  test('rows and rowCount, `$1` and `?` placeholders, INSERT … RETURNING', async () => {
    const ins = (await w()
      .db('@lite')
      .execute('INSERT INTO cities (name, population) VALUES ($1, $2), ($3, $4) RETURNING name', [
        'Seoul',
        9_700_000,
        'Fairfax',
        23_478,
      ])
      .getwait(5)) as DbResult
    assert.deepEqual(
      [ins.status, ins.status_code, ins.data, ins.rowCount],
      [3, 200, [{ name: 'Seoul' }, { name: 'Fairfax' }], 2],
    )
    const one = await w().db('@lite').execute('SELECT name, population FROM cities WHERE name = ?', ['Fairfax']).one(5)
    assert.deepEqual(one, { name: 'Fairfax', population: 23_478 })
    const upd = (await w().db('@lite').execute('UPDATE cities SET population = population + 1').getwait(5)) as DbResult
    assert.deepEqual([upd.status_code, upd.rowCount, upd.data], [200, 2, []])
  })

  test('faults: SQLite error codes, status 3 / 500; injection stays text', async () => {
    const syn = await w().db('@lite').execute('SELEC 1').getwait(5)
    assert.deepEqual([syn.status, syn.status_code, syn.fault?.code], [3, 500, 'SQLITE_ERROR'])
    const dup = await w().db('@lite').execute('INSERT INTO cities (name) VALUES (?)', ['Seoul']).getwait(5)
    assert.deepEqual([dup.status, dup.status_code, dup.fault?.code], [3, 500, 'SQLITE_CONSTRAINT_UNIQUE'])
    await assert.rejects(w().db('@lite').execute('SELEC 1').fetch(5), DbFaultError)
    const evil = "x'); DROP TABLE cities; --"
    await w().db('@lite').execute('INSERT INTO cities (name) VALUES (?)', [evil]).wait(5)
    assert.deepEqual(await w().db('@lite').execute('SELECT name FROM cities WHERE name = ?', [evil]).one(5), {
      name: evil,
    })
    const t = await w().db('@lite').execute("SELECT count(*) AS n FROM sqlite_master WHERE name = 'cities'").one(5)
    assert.deepEqual(t, { n: 1 })
  })

  test('transaction: one worker held between BEGIN and COMMIT, ROLLBACK on throw', async () => {
    await w()
      .db('@lite')
      .transaction(async (tx) => {
        await tx.execute('INSERT INTO cities (name) VALUES (?)', ['Busan'])
        await tx.execute('INSERT INTO cities (name) VALUES (?)', ['Daegu'])
      })
    await assert.rejects(
      w()
        .db('@lite')
        .transaction(async (tx) => {
          await tx.execute('INSERT INTO cities (name) VALUES (?)', ['Incheon'])
          await tx.execute('INSERT INTO cities (name) VALUES (?)', ['Busan'])
        }),
      (e: unknown) => e instanceof DbFaultError && e.code === 'SQLITE_CONSTRAINT_UNIQUE',
    )
    const rows = await w()
      .db('@lite')
      .execute("SELECT name FROM cities WHERE name IN ('Busan', 'Daegu', 'Incheon') ORDER BY name")
      .fetch(5)
    assert.deepEqual(rows, [{ name: 'Busan' }, { name: 'Daegu' }])
  })

  test('a query of seconds in one request while other requests keep being answered in < 50 ms', async () => {
    // Calibrate the statement to about 2 s (or more) on this machine.
    const t0 = performance.now()
    await w().db('@lite').execute(count(1_000_000)).wait(30)
    const perRow = (performance.now() - t0) / 1_000_000
    const n = Math.round(2000 / perRow)
    const app = new Saddle(import.meta.url)
    app.logger = () => {}
    app.route('/slow', async (was: any) => (await was.db('@lite').execute(count(n)).one(60)).n)
    app.route('/ping', () => 'pong')
    const engine = new Engine()
    engine.enableAccessLog(false)
    engine.mount('/', app)
    const port = await engine.listen({ port: 0, address: '127.0.0.1' })
    try {
      const started = performance.now()
      let slowMs = 0
      const slow = request(`http://127.0.0.1:${port}/slow`).then(async (r) => {
        slowMs = performance.now() - started
        return [r.statusCode, await r.body.text()]
      })
      let done = false
      void slow.then(() => (done = true))
      const lat: number[] = []
      while (!done) {
        const t = performance.now()
        const r = await request(`http://127.0.0.1:${port}/ping`)
        assert.equal(await r.body.text(), 'pong')
        lat.push(performance.now() - t)
        await new Promise((res) => setTimeout(res, 10))
      }
      assert.deepEqual(await slow, [200, String(n)])
      lat.sort((a, b) => a - b)
      const median = lat[Math.floor(lat.length / 2)] as number
      const max = lat[lat.length - 1] as number
      console.log(
        `# SQLite ${slowMs.toFixed(0)} ms query; ${lat.length} other requests, median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
      )
      assert.ok(slowMs > 1000, `the slow query ran ${slowMs} ms`)
      assert.ok(lat.length >= 20, 'requests were answered while it ran')
      assert.ok(median < 50, `median ${median} ms`)
      // A stalled event loop would hold a request for the whole query.
      assert.ok(max < slowMs / 3, `max ${max} ms while the query ran ${slowMs} ms`)
    } finally {
      await engine.close(1)
    }
  })
})
