// skitai.useRedis across hosts: two servers (separate processes, their own ports) on one redis-server
// started by the test. skitai.g, a cached result dropped by setlu, broadcasts and revoked sessions travel
// between them; with Redis stopped both keep serving with local values and log it; when it is back (empty:
// started with --save '') they converge. Server B names the Redis through a DB_REDIS alias ('@kv').
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { type TestClient, testClient } from '@skitai/engine'
import { haveRedis, type RedisServer, startRedis } from '../packages/was/test/db-servers.js'

const script = fileURLToPath(new URL('./fixtures/shared-redis/serve.ts', import.meta.url))
const skip = haveRedis ? false : 'redis-server is not installed (.ci/run installs it)'

let redis: RedisServer
let a: TestClient
let b: TestClient

async function json(cli: TestClient, path: string, cookie?: string): Promise<any> {
  const r = await cli.get(path, cookie === undefined ? undefined : { headers: { cookie } })
  assert.equal(r.status, 200, `${path}: ${r.text}`)
  return r.json()
}

/** Poll until `ok(value)`; resolves to the ms it took. Fails after `limitMs`. */
async function until(what: string, read: () => Promise<unknown>, ok: (v: any) => boolean, limitMs = 5000) {
  const t0 = performance.now()
  let last: unknown
  for (;;) {
    last = await read()
    if (ok(last)) return performance.now() - t0
    if (performance.now() - t0 > limitMs) assert.fail(`${what}: still ${JSON.stringify(last)} after ${limitMs} ms`)
    await sleep(5)
  }
}

function sessionCookie(r: { headers: Record<string, unknown> }): string {
  const lines = ([] as string[]).concat((r.headers['set-cookie'] as string | string[] | undefined) ?? [])
  const line = lines.find((l) => l.startsWith('SKITAI_SESSION='))
  assert.ok(line, 'a session cookie was issued')
  return line.split(';', 1)[0]!
}

before(async () => {
  if (skip) return
  redis = await startRedis()
  a = testClient(script, { env: { REDIS_URL: redis.url } })
  b = testClient(script, { env: { REDIS_URL: redis.url, USE_ALIAS: '1' } })
  await Promise.all([a.get('/g'), b.get('/g')])
})

after(async () => {
  if (skip) return
  await Promise.all([a.close(), b.close()])
  await redis.destroy()
})

test('skitai.g set on A is read on B (initial values are not reset by a joining host)', { skip }, async () => {
  assert.deepEqual(await json(a, '/g'), { MODE: 'normal' })
  await json(a, '/g/set?mode=busy')
  const ms = await until(
    'B sees MODE',
    () => json(b, '/g'),
    (v) => v.MODE === 'busy',
  )
  console.log(`skitai.g A → B: ${ms.toFixed(1)} ms`)
  // a third server joining later takes the value the others hold instead of writing its initial one
  const c = testClient(script, { env: { REDIS_URL: redis.url } })
  try {
    assert.deepEqual(await json(c, '/g'), { MODE: 'busy' })
  } finally {
    await c.close()
  }
  assert.deepEqual(await json(a, '/g'), { MODE: 'busy' })
})

test("setlu on A drops A's and B's cached result", { skip }, async () => {
  const a1 = (await json(a, '/cached')).n
  assert.equal((await json(a, '/cached')).n, a1, 'A answers from its cache')
  const b1 = (await json(b, '/cached')).n
  assert.equal((await json(b, '/cached')).n, b1, 'B answers from its cache')
  await json(a, '/setlu')
  assert.equal((await json(a, '/cached')).n, a1 + 1, "A's entry was dropped at once")
  // the result is read each poll; the first poll after the update sees a fresh count
  const ms = await until(
    "B's cache entry dropped",
    () => json(b, '/cached'),
    (v) => v.n === b1 + 1,
  )
  console.log(`setlu A → B's cache dropped: ${ms.toFixed(1)} ms`)
  assert.ok(ms < 1000, `took ${ms} ms`)
  assert.equal((await json(b, '/cached')).n, b1 + 1, 'and B caches again')
})

test('was.broadcast on A runs the onBroadcast handler on B', { skip }, async () => {
  await json(a, '/ping?value=hello')
  await until(
    'B got the broadcast',
    () => json(b, '/last-ping'),
    (v) => v.value === 'hello',
  )
})

test('a logout on A makes a copy of the old cookie an empty session on B', { skip }, async () => {
  const login = await a.get('/login?user=hans')
  const cookie = sessionCookie(login)
  assert.deepEqual(await json(b, '/me', cookie), { user: 'hans' }, 'B opens the session issued by A')
  const out = await a.get('/logout', { headers: { cookie } })
  assert.match(String(out.headers['set-cookie']), /SKITAI_SESSION=; Max-Age=0/)
  await until(
    'B refuses the replayed cookie',
    () => json(b, '/me', cookie),
    (v) => v.user === null,
  )
  assert.deepEqual(await json(a, '/me', cookie), { user: null })
})

test('Redis stopped: both serve with local values and log it; Redis back (empty): they converge', {
  skip,
}, async () => {
  await redis.stop()
  await until(
    'A logged the loss',
    async () => a.output(),
    (o) => /lost Redis at 127\.0\.0\.1:\d+\/0/.test(o),
  )
  await until(
    'B logged the loss',
    async () => b.output(),
    (o) => /lost Redis/.test(o),
  )
  // a value set on A, a model update and a broadcast on B while Redis is away
  assert.deepEqual(await json(a, '/g/set?mode=offline'), { MODE: 'offline' })
  assert.deepEqual(await json(b, '/g'), { MODE: 'busy' }, 'B keeps its own value')
  const aCached = (await json(a, '/cached')).n
  assert.equal((await json(a, '/cached')).n, aCached)
  await json(b, '/setlu')
  await json(b, '/ping?value=while-away')
  assert.equal((await json(a, '/cached')).n, aCached, 'no update reached A yet')
  const login = await b.get('/login?user=eva')
  const cookie = sessionCookie(login)
  await b.get('/logout', { headers: { cookie } })
  assert.deepEqual(await json(a, '/me', cookie), { user: 'eva' }, 'A has not heard of the logout yet')

  await redis.start()
  const ms = await until(
    'B took A’s value',
    () => json(b, '/g'),
    (v) => v.MODE === 'offline',
    15_000,
  )
  console.log(`converged ${ms.toFixed(0)} ms after redis-server was up again`)
  // (the counter itself starts again in the emptied Redis: any other value is a fresh read)
  await until(
    'A dropped its cache entry',
    () => json(a, '/cached'),
    (v) => v.n !== aCached,
  )
  await until(
    'A got the late broadcast',
    () => json(a, '/last-ping'),
    (v) => v.value === 'while-away',
  )
  await until(
    'A refuses the cookie revoked while Redis was away',
    () => json(a, '/me', cookie),
    (v) => v.user === null,
  )
  assert.match(a.output(), /back on Redis at 127\.0\.0\.1:\d+\/0/)
  assert.match(b.output(), /back on Redis .*1 broadcasts sent late/)
  // and the channel works both ways again
  await json(b, '/g/set?mode=normal')
  await until(
    'A sees the new value',
    () => json(a, '/g'),
    (v) => v.MODE === 'normal',
  )
})
