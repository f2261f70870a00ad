// examples/cities launched as a real server process: three shards on PGlite (the default, no server) and
// on real PostgreSQL (three databases of a server the test starts, through CITIES_PG). The same checks run
// on both: `.map` over the shards merged, `.lb` for the reference table, an insert taken by the owning
// shard, the merged result cached until that insert's setlu, and bad input answered 400.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { type TestClient, testClient } from '@skitai/engine'
import { havePostgres, type PgServer, startPostgres } from '../packages/was/test/db-servers.js'

const script = fileURLToPath(new URL('../examples/cities/serve.ts', import.meta.url))
const REGIONS = ['asia', 'europe', 'america']

interface Backend {
  name: string
  skip: string | false
  /** Environment for the server; a hook to change a shard behind the app's back (real PostgreSQL only). */
  setup(): Promise<{ env: Record<string, string>; sneak?: (sql: string) => Promise<void> }>
  teardown(): Promise<void>
}

let pg: PgServer | null = null
let direct: import('pg').Client | null = null

const backends: Backend[] = [
  { name: 'PGlite (the default)', skip: false, setup: async () => ({ env: {} }), teardown: async () => {} },
  {
    name: 'PostgreSQL (CITIES_PG)',
    skip: havePostgres ? false : 'PostgreSQL is not installed (.ci/run installs it)',
    setup: async () => {
      pg = await startPostgres()
      const { default: pgLib } = await import('pg')
      const admin = new pgLib.Client(pg.config())
      await admin.connect()
      for (const r of REGIONS) await admin.query(`CREATE DATABASE cities_${r}`)
      await admin.end()
      direct = new pgLib.Client(pg.config('cities_europe'))
      await direct.connect()
      return {
        env: { CITIES_PG: REGIONS.map((r) => pg!.member(`cities_${r}`)).join(',') },
        sneak: async (sql) => void (await direct!.query(sql)),
      }
    },
    teardown: async () => {
      await direct?.end()
      await pg?.destroy()
    },
  },
]

for (const backend of backends) {
  describe(`examples/cities on ${backend.name}`, { skip: backend.skip }, () => {
    let cli: TestClient
    let sneak: ((sql: string) => Promise<void>) | undefined

    before(async () => {
      const s = await backend.setup()
      sneak = s.sneak
      // PGlite starts three embedded databases: allow for a loaded machine
      cli = testClient(script, { env: s.env, timeout: 180 })
      await cli.get('/regions')
    })
    after(async () => {
      await cli?.close()
      await backend.teardown()
    })

    test('.map over the three shards: every region, merged largest first; .lb reads the reference table', async () => {
      const r = await cli.get('/')
      assert.equal(r.status, 200)
      const cities = r.json().cities as Array<{ name: string; region: string; population: number }>
      assert.equal(cities.length, 9)
      assert.deepEqual([...new Set(cities.map((c) => c.region))].sort(), [...REGIONS].sort())
      assert.deepEqual(
        cities.map((c) => c.population),
        [...cities.map((c) => c.population)].sort((a, b) => b - a),
      )
      assert.deepEqual((await cli.get('/top?min=10000000')).json(), {
        top: { name: 'Tokyo', region: 'asia', population: 13960000 },
      })
      assert.deepEqual((await cli.get('/top?min=99999999')).json(), { top: null })
      for (let i = 0; i < 6; i++) {
        const regions = await cli.get('/regions')
        assert.deepEqual(regions.json().regions, [
          { name: 'asia', shard: 0 },
          { name: 'europe', shard: 1 },
          { name: 'america', shard: 2 },
        ])
      }
    })

    test('an insert goes to the owning shard only and drops the cached merge (setlu)', async () => {
      const before = (await cli.get('/')).json().cities.length
      if (sneak) {
        // a row written behind the app's back is not seen: the merged result comes from the cache
        await sneak("INSERT INTO cities (name, region, population) VALUES ('Sneaky', 'europe', 1)")
        assert.equal((await cli.get('/')).json().cities.length, before)
      }
      const made = await cli.post('/cities', { name: 'Osaka', region: 'asia', population: 2750000 })
      assert.equal(made.status, 201)
      assert.equal(made.json().shard, 0)
      const after = (await cli.get('/')).json().cities as Array<{ name: string; region: string }>
      assert.equal(after.length, before + 1 + (sneak ? 1 : 0), 'the cache entry was dropped')
      assert.equal(after.filter((c) => c.name === 'Osaka').length, 1, 'stored on one shard only')
      assert.equal(after.find((c) => c.name === 'Osaka')!.region, 'asia')
    })

    test('bad input is answered 400 naming the problem; injection stays text', async () => {
      const mars = await cli.post('/cities', { name: 'Base', region: 'mars', population: 1 })
      assert.equal(mars.status, 400)
      assert.match(mars.text, /region must be one of asia, europe, america/)
      const neg = await cli.post('/cities', { name: 'X', region: 'asia', population: -3 })
      assert.equal(neg.status, 400)
      assert.match(neg.text, /population must be a whole number/)
      assert.equal((await cli.post('/cities', { region: 'asia', population: 1 })).status, 400)
      const evil = "'; DROP TABLE cities; --"
      assert.equal((await cli.post('/cities', { name: evil, region: 'europe', population: 5 })).status, 201)
      const cities = (await cli.get('/')).json().cities as Array<{ name: string }>
      assert.ok(cities.some((c) => c.name === evil))
      assert.equal((await cli.get('/top?min=abc')).status, 400)
    })
  })
}
