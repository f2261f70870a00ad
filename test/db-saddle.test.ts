// was.db inside Saddle handlers against a real PostgreSQL server: fetch() of a rejected statement
// answers 500 with no SQL error text unless the app is in debug mode; one() answers 404/409; an
// unreachable member 502; rows come back as JSON.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { DB_PGSQL, registerAlias, unregisterAlias } from '@skitai/was'
import { request } from 'undici'
import { type PgServer, havePostgres, startPostgres } from '../packages/was/test/db-servers.js'

describe('was.db in Saddle routes', { skip: havePostgres ? false : 'PostgreSQL binaries not installed' }, () => {
  let pg: PgServer
  let engine: Engine
  let port: number
  before(async () => {
    pg = await startPostgres()
    registerAlias('@sdb', DB_PGSQL, pg.member())
    const app = new Saddle(import.meta.url)
    app.logger = () => {}
    const dbg = new Saddle(import.meta.url)
    dbg.logger = () => {}
    dbg.debug = true
    for (const a of [app, dbg]) {
      a.route('/bad', async (was: any) => was.db('@sdb').execute('SELEC secret_column FROM t').fetch(5))
      a.route('/rows', async (was: any) =>
        was.db('@sdb').execute('SELECT $1::int AS n, $2::text AS s', [7, 'x']).fetch(5),
      )
      a.route('/one/<int:n>', async (was: any, n: number) =>
        was.db('@sdb').execute('SELECT g FROM generate_series(1, $1) AS g', [n]).one(5),
      )
    }
    engine = new Engine()
    engine.enableAccessLog(false)
    engine.mount('/debug', dbg)
    engine.mount('/', app)
    port = await engine.listen({ port: 0, address: '127.0.0.1' })
  })
  after(async () => {
    await engine.close(1)
    await unregisterAlias('@sdb')
    await pg.destroy()
  })

  async function get(path: string): Promise<{ status: number; text: string }> {
    const r = await request(`http://127.0.0.1:${port}${path}`)
    return { status: r.statusCode, text: await r.body.text() }
  }

  test('fetch() of a syntax error: 500, no SQL text in production, the SQL error in debug', async () => {
    const prod = await get('/bad')
    assert.equal(prod.status, 500)
    assert.doesNotMatch(prod.text, /SELEC|syntax|secret_column|42601/)
    const debug = await get('/debug/bad')
    assert.equal(debug.status, 500)
    assert.match(debug.text, /42601/)
    assert.match(debug.text, /syntax error/)
  })

  test('rows as JSON; one() → the row, 404 for none, 409 for several', async () => {
    assert.deepEqual(await get('/rows'), { status: 200, text: '[{"n":7,"s":"x"}]' })
    assert.deepEqual(await get('/one/1'), { status: 200, text: '{"g":1}' })
    assert.equal((await get('/one/0')).status, 404)
    assert.equal((await get('/one/3')).status, 409)
  })
})
