// `npx skitai examples/cities/serve.ts`: three embedded PostgreSQL shards (PGlite, in memory; no server).
// On real PostgreSQL: CITIES_PG='user:pw@host:5432/asia,user:pw@host:5432/europe,user:pw@host:5432/america'.
//   curl http://127.0.0.1:5000/                 → every city of every shard, largest first (.map, cached)
//   curl 'http://127.0.0.1:5000/top?min=1000000' → map-filter-reduce
//   curl http://127.0.0.1:5000/regions           → the reference table from any shard (.lb)
//   curl -d name=Osaka -d region=asia -d population=2750000 http://127.0.0.1:5000/cities   → 201
import skitai from '@skitai/engine'
import { app } from './app.js'

const members = process.env.CITIES_PG ? process.env.CITIES_PG.split(',') : ['pglite:', 'pglite:', 'pglite:']
skitai.alias('@shards', skitai.DB_PGSQL, members, { timeout: 10 })
skitai.deflu('tables.cities')
skitai.mount('/', app)
skitai.run({ address: '127.0.0.1', port: 5000 })
