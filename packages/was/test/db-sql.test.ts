// was.db over SQL (README "Databases"): the same suite against a real PostgreSQL server (started here
// on a free port) and against embedded PGlite, one describe per backend, with the same expected results.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  DB_PGSQL,
  DbFaultError,
  type DbResult,
  HttpError,
  STATUS_DONE,
  Was,
  cacheClear,
  deflu,
  registerAlias,
  setMaxRcache,
  setlu,
  unregisterAlias,
} from '@skitai/was'
import { type PgServer, havePostgres, startPostgres } from './db-servers.js'

const w = () => new Was('test', 1000)

interface Backend {
  name: string
  skip: boolean
  setup(): Promise<string>
  teardown(): Promise<void>
}

let pg: PgServer | null = null
const backends: Backend[] = [
  {
    name: 'PostgreSQL server (pg)',
    skip: !havePostgres,
    async setup() {
      pg = await startPostgres()
      return pg.member()
    },
    async teardown() {
      await pg?.destroy()
    },
  },
  { name: 'PGlite (embedded)', skip: false, setup: async () => 'pglite:', teardown: async () => {} },
]

deflu('tables.cities')
setMaxRcache(100)

for (const b of backends) {
  describe(`SQL through was.db: ${b.name}`, { skip: b.skip ? 'PostgreSQL binaries not installed' : false }, () => {
    const alias = `@sql${backends.indexOf(b)}`
    before(async () => {
      registerAlias(alias, DB_PGSQL, await b.setup())
      const r = await w()
        .db(alias)
        .execute('CREATE TABLE cities (id serial PRIMARY KEY, name text UNIQUE NOT NULL, population int)')
        .getwait(30)
      assert.equal(r.status_code, 200, r.reason)
    })
    after(async () => {
      await unregisterAlias(alias)
      await b.teardown()
    })

    test('rows, rowCount and INSERT … RETURNING', async () => {
      const ins = (await w()
        .db(alias)
        .execute('INSERT INTO cities (name, population) VALUES ($1, $2), ($3, $4) RETURNING id, name', [
          'Seoul',
          9_700_000,
          'Fairfax',
          23_478,
        ])
        .getwait(5)) as DbResult
      assert.equal(ins.status, STATUS_DONE)
      assert.equal(ins.status_code, 200)
      assert.deepEqual(
        (ins.data as Array<{ name: string }>).map((r) => r.name),
        ['Seoul', 'Fairfax'],
      )
      assert.equal(ins.rowCount, 2)
      const sel = (await w()
        .db(alias)
        .execute('SELECT name, population, count(*) OVER () AS n FROM cities ORDER BY population DESC')
        .getwait(5)) as DbResult
      assert.deepEqual(sel.data, [
        { name: 'Seoul', population: 9_700_000, n: '2' },
        { name: 'Fairfax', population: 23_478, n: '2' },
      ])
      assert.equal(sel.rowCount, 2)
      const upd = (await w().db(alias).execute('UPDATE cities SET population = population + 1').getwait(5)) as DbResult
      assert.deepEqual([upd.status_code, upd.rowCount, upd.data], [200, 2, []])
    })

    test('a syntax error and a unique violation: status 3, status_code 500, fault.code = SQLSTATE', async () => {
      const syn = await w().db(alias).execute('SELEC name FROM cities').getwait(5)
      assert.deepEqual([syn.status, syn.status_code, syn.fault?.code], [3, 500, '42601'])
      assert.match(String(syn.fault?.message), /syntax error/)
      const dup = await w().db(alias).execute('INSERT INTO cities (name) VALUES ($1)', ['Seoul']).getwait(5)
      assert.deepEqual([dup.status, dup.status_code, dup.fault?.code], [3, 500, '23505'])
      assert.equal(dup.data, null)
      // fetch() of a rejected statement aborts the request with a plain 500 (not an HttpError whose
      // detail would carry the SQL error to the client).
      await assert.rejects(w().db(alias).execute('SELEC 1').fetch(5), (e: unknown) => {
        assert.ok(e instanceof DbFaultError && !(e instanceof HttpError))
        assert.equal((e as DbFaultError).status, 500)
        assert.equal((e as DbFaultError).code, '42601')
        return true
      })
      await assert.rejects(w().db(alias).execute('SELEC 1').wait(5), /fault 42601/)
    })

    test("injection: a parameter holding '; DROP TABLE cities; -- is stored as text and the table stays", async () => {
      const evil = "x'; DROP TABLE cities; --"
      const r = await w().db(alias).execute('INSERT INTO cities (name) VALUES ($1) RETURNING name', [evil]).getwait(5)
      assert.deepEqual(r.data, [{ name: evil }])
      const back = await w().db(alias).execute('SELECT name FROM cities WHERE name = $1', [evil]).one(5)
      assert.deepEqual(back, { name: evil })
      const n = await w()
        .db(alias)
        .execute("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'cities'")
        .one(5)
      assert.deepEqual(n, { n: 1 })
      await w().db(alias).execute('DELETE FROM cities WHERE name = $1', [evil]).wait(5)
    })

    test('one(): the only row, 404 for none, 409 for several; bad params are a clear status 2', async () => {
      assert.deepEqual(await w().db(alias).execute('SELECT name FROM cities WHERE name = $1', ['Seoul']).one(5), {
        name: 'Seoul',
      })
      await assert.rejects(
        w().db(alias).execute('SELECT name FROM cities WHERE name = $1', ['Nowhere']).one(5),
        (e: unknown) => e instanceof HttpError && e.status === 404,
      )
      await assert.rejects(
        w().db(alias).execute('SELECT name FROM cities').one(5),
        (e: unknown) => e instanceof HttpError && e.status === 409,
      )
      const bad = await w()
        .db(alias)
        .execute('SELECT $1', 'not an array' as never)
        .getwait(5)
      assert.equal(bad.status, 2)
      assert.match(bad.reason, /params must be an array/)
    })

    test('transaction: COMMIT when fn resolves, ROLLBACK when it throws', async () => {
      const ids = await w()
        .db(alias)
        .transaction(async (tx) => {
          const a = await tx.execute('INSERT INTO cities (name) VALUES ($1) RETURNING id', ['Busan'])
          const b2 = await tx.execute('INSERT INTO cities (name) VALUES ($1) RETURNING id', ['Daegu'])
          return [a.data, b2.data]
        })
      assert.equal(ids.length, 2)
      await assert.rejects(
        w()
          .db(alias)
          .transaction(async (tx) => {
            await tx.execute('INSERT INTO cities (name) VALUES ($1)', ['Incheon'])
            await tx.execute('INSERT INTO cities (name) VALUES ($1)', ['Busan']) // unique violation
          }),
        (e: unknown) => e instanceof DbFaultError && e.code === '23505',
      )
      const names = await w()
        .db(alias)
        .execute("SELECT name FROM cities WHERE name IN ('Busan', 'Daegu', 'Incheon') ORDER BY name")
        .fetch(5)
      assert.deepEqual(names, [{ name: 'Busan' }, { name: 'Daegu' }])
      // A thrown application error rolls back too.
      await assert.rejects(
        w()
          .db(alias)
          .transaction(async (tx) => {
            await tx.execute('DELETE FROM cities')
            throw new Error('changed my mind')
          }),
        /changed my mind/,
      )
      const n = await w().db(alias).execute('SELECT count(*)::int AS n FROM cities').one(5)
      assert.ok((n as { n: number }).n >= 4)
    })

    test('results cache by alias, SQL and params; setlu of the model key drops them', async () => {
      cacheClear()
      const q = 'SELECT population FROM cities WHERE name = $1'
      const first = await w().db(alias).execute(q, ['Fairfax']).getwait(5, { cache: 60 })
      await w().db(alias).execute('UPDATE cities SET population = 1 WHERE name = $1', ['Fairfax']).wait(5)
      const cached = await w().db(alias, { useCache: 'tables.cities' }).execute(q, ['Fairfax']).getwait(5)
      assert.equal(cached, first, 'answered from the cache')
      const other = await w().db(alias).execute(q, ['Seoul']).getwait(5)
      assert.notEqual(other, first, 'other params: another key')
      setlu('tables.cities')
      const fresh = await w().db(alias, { useCache: 'tables.cities' }).execute(q, ['Fairfax']).getwait(5)
      assert.notEqual(fresh, first)
      assert.deepEqual(fresh.data, [{ population: 1 }])
    })
  })
}
