// The original's CITIES example: cities kept in three shards (one region each), read with `.map` over the
// shards (results merged, cached until the next insert), a reference table read with `.lb` (every shard holds
// a copy, so any member can answer), and an insert taken by the shard that owns the region.
import { HttpError, Saddle, type SaddleWas } from '@skitai/saddle'

export const app = new Saddle(import.meta.url, { name: 'cities' })

/** Member i of the `@shards` alias holds the cities of REGIONS[i]. */
export const REGIONS = ['asia', 'europe', 'america'] as const
type Region = (typeof REGIONS)[number]

const SEED: Record<Region, Array<[string, number]>> = {
  asia: [
    ['Seoul', 9_586_000],
    ['Tokyo', 13_960_000],
    ['Busan', 3_349_000],
  ],
  europe: [
    ['Berlin', 3_645_000],
    ['Paris', 2_161_000],
    ['Lisbon', 545_000],
  ],
  america: [
    ['New York', 8_336_000],
    ['Fairfax', 24_000],
    ['Lima', 9_751_000],
  ],
}

interface City {
  name: string
  region: string
  population: number
}

/**
 * Every shard gets a random id when it is created; `.map` results come in member order, so the app
 * learns which id is member i. An insert then runs on all shards and only the owner's id matches
 * (`… FROM shard WHERE id = $n`): one statement, no per-member alias.
 */
const shardIds: string[] = []

async function onEveryShard(was: SaddleWas, sql: string, params?: unknown[]) {
  const results = await was.db.map('@shards').execute(sql, params).getswait(120)
  for (const r of results)
    if (r.status !== 3 || r.status_code !== 200)
      throw new Error(`cities: ${sql.split(' ', 3).join(' ')} on ${r.member}: ${r.reason}`)
  return results
}

app.mounted(async (was) => {
  await onEveryShard(
    was,
    'CREATE TABLE IF NOT EXISTS cities (id serial PRIMARY KEY, name text NOT NULL, region text NOT NULL, population integer NOT NULL)',
  )
  await onEveryShard(was, 'CREATE TABLE IF NOT EXISTS shard (id uuid PRIMARY KEY DEFAULT gen_random_uuid())')
  await onEveryShard(was, 'INSERT INTO shard SELECT WHERE NOT EXISTS (SELECT 1 FROM shard)')
  await onEveryShard(was, 'CREATE TABLE IF NOT EXISTS regions (name text PRIMARY KEY, shard integer NOT NULL)')
  for (const [i, region] of REGIONS.entries())
    await onEveryShard(was, 'INSERT INTO regions VALUES ($1, $2) ON CONFLICT DO NOTHING', [region, i])
  const ids = await onEveryShard(was, 'SELECT id FROM shard')
  if (ids.length !== REGIONS.length)
    throw new Error(`cities: @shards needs ${REGIONS.length} members (one per region), it has ${ids.length}`)
  shardIds.splice(0, shardIds.length, ...ids.map((r) => (r.data as Array<{ id: string }>)[0]!.id))
  const counts = await onEveryShard(was, 'SELECT count(*)::int AS n FROM cities')
  for (const [i, r] of counts.entries()) {
    if ((r.data as Array<{ n: number }>)[0]!.n > 0) continue // a persistent shard keeps its rows
    for (const [name, population] of SEED[REGIONS[i]!]) await insertCity(was, name, REGIONS[i]!, population)
  }
})

async function insertCity(was: SaddleWas, name: string, region: Region, population: number): Promise<number> {
  const owner = shardIds[REGIONS.indexOf(region)]!
  const results = await onEveryShard(
    was,
    'INSERT INTO cities (name, region, population) SELECT $1, $2, $3 FROM shard WHERE id = $4 RETURNING id',
    [name, region, population, owner],
  )
  return (results[REGIONS.indexOf(region)]!.data as Array<{ id: number }>)[0]!.id
}

/**
 * All cities from every shard, largest first. The `.map` filter sees each shard's result as it arrives
 * and leaves out a shard that failed (the page then shows the others); the merged rows are cached 60 s
 * and dropped by the next insert (`setlu`).
 */
async function allCities(was: SaddleWas): Promise<City[]> {
  const results = await was.db
    .map('@shards', { useCache: 'tables.cities', filter: (r) => r.status === 3 && r.status_code === 200 })
    .execute('SELECT name, region, population FROM cities')
    .getswait(5, { cache: 60 })
  const all: City[] = []
  for (const r of results) all.push(...(r.data as City[]))
  return all.sort((a, b) => b.population - a.population)
}

app.route('/', async (was) => ({ cities: await allCities(was) }))

/** Map-filter-reduce: the largest city with at least `min` inhabitants. */
app.route('/top', async (was, min = '0') => {
  const floor = Number(min)
  if (!Number.isFinite(floor)) throw new HttpError(400, 'min must be a number')
  return { top: (await allCities(was)).find((c) => c.population >= floor) ?? null }
})

/** The reference table, from whichever shard `.lb` picks. */
app.route('/regions', async (was) => ({
  regions: await was.db.lb('@shards').execute('SELECT name, shard FROM regions ORDER BY shard').fetch(),
}))

app.route('/cities', { methods: ['POST'] }, async (was, name: string, region: string, population: string) => {
  if (typeof name !== 'string' || name.trim() === '') throw new HttpError(400, 'name is required')
  if (!(REGIONS as readonly string[]).includes(region))
    throw new HttpError(400, `region must be one of ${REGIONS.join(', ')}`)
  const n = Number(population)
  if (!Number.isInteger(n) || n < 0) throw new HttpError(400, 'population must be a whole number >= 0')
  const id = await insertCity(was, name.trim(), region as Region, n)
  was.setlu('tables.cities')
  return was.API({ id, region, shard: REGIONS.indexOf(region as Region) }, 201)
})
