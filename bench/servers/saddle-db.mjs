// biome-ignore-all lint/correctness/noUnusedFunctionParameters: a Saddle handler takes `was` first even when it does not use it
// The database bench (bench/db.mjs): one Saddle app, three routes doing the same `SELECT 1` —
// /db through was.db('@pg'), /pool through a pg Pool called directly (the same pool size), and /pglite
// through was.db on an embedded PGlite member.
import { createRequire } from 'node:module'
import { HOST, PORT } from './common.mjs'
import { loadEngine, loadSaddle, quiet } from './skitai.mjs'

const skitai = await loadEngine()
const Saddle = await loadSaddle()
// pg is a dependency of @skitai/was: resolve it from there
const require = createRequire(import.meta.resolve('@skitai/was'))
const pg = require('pg')
const pool = new pg.Pool({ ...JSON.parse(process.env.BENCH_PG_CONFIG), max: 10 })

skitai.alias('@pg', skitai.DB_PGSQL, process.env.BENCH_PG_MEMBER, { max: 10 })
skitai.alias('@lite', skitai.DB_PGSQL, 'pglite:')
const app = new Saddle(import.meta.url)
app.route('/db', async (was) => was.db('@pg').execute('SELECT 1 AS one').fetch())
app.route('/pool', async (was) => (await pool.query('SELECT 1 AS one')).rows)
app.route('/pglite', async (was) => was.db('@lite').execute('SELECT 1 AS one').fetch())
quiet(skitai)
skitai.mount('/', app)
await skitai.run({ address: HOST, port: PORT })
