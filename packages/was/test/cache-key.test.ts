// The result cache key (README "Caching") is method, URL, body and alias — plus the call's credentials: a
// different body, other credentials, or the same alias name bound to another cluster (an app's private
// alias beside a server-wide one), is another entry.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { type Cluster, PROTO_HTTP, Was, cacheClear, cacheStats, deflu, makeCluster, setMaxRcache } from '@skitai/was'
import { type Backend, backend, json, readBody } from './helpers.ts'

const closers: Array<() => Promise<void>> = []
after(async () => {
  for (const c of closers) await c()
})

async function named(name: string): Promise<Backend> {
  const b = await backend(async (req, res) => json(res, { from: name, body: (await readBody(req)).toString() }))
  closers.push(b.close)
  return b
}

/** A was whose '@api' is the given cluster (as Saddle's app-private aliases do). */
class AppWas extends Was {
  constructor(private readonly api: Cluster) {
    super('g', 1000)
  }
  override resolveAlias(name: string): Cluster | undefined {
    return name === 'api' ? this.api : undefined
  }
}

test('same method and URL with another body is another cache entry', async () => {
  cacheClear()
  const b = await named('a')
  const c = makeCluster('@api', PROTO_HTTP, `127.0.0.1:${b.port}`)
  closers.push(() => c.close())
  const w = new AppWas(c)
  const r1 = await w.post('@api/q', { q: 1 }).getwait(5, { cache: 60 })
  assert.equal(r1.status, 3)
  assert.equal((await w.post('@api/q', { q: 1 }).getwait(5)).data, r1.data)
  assert.equal(b.hits, 1, 'the same body is served from the cache')
  const r2 = await w.post('@api/q', { q: 2 }).getwait(5)
  assert.equal(b.hits, 2, 'another body reaches the backend')
  assert.equal((r2.data as { body: string }).body, '{"q":2}')
  w.close()
})

test('the same alias name on two clusters (app-private vs server-wide) never shares cached results', async () => {
  cacheClear()
  const a = await named('a')
  const b = await named('b')
  const ca = makeCluster('@api', PROTO_HTTP, `127.0.0.1:${a.port}`)
  const cb = makeCluster('@api', PROTO_HTTP, `127.0.0.1:${b.port}`)
  closers.push(
    () => ca.close(),
    () => cb.close(),
  )
  const wa = new AppWas(ca)
  const wb = new AppWas(cb)
  assert.equal(((await wa.get('@api/x').getwait(5, { cache: 60 })).data as { from: string }).from, 'a')
  const rb = await wb.get('@api/x').getwait(5, { cache: 60 })
  assert.equal((rb.data as { from: string }).from, 'b', "another cluster's cached result was served")
  assert.equal(b.hits, 1)
  // .map sets likewise.
  await wa.get.map('@api/m').getswait(5, { cache: 60 })
  const sb = await wb.get.map('@api/m').getswait(5)
  assert.deepEqual(
    sb.data.map((d) => (d as { from: string }).from),
    ['b'],
  )
  wa.close()
  wb.close()
})

test("useCache: 'model.key' drops an entry stored before setlu('model.key') (short for getlu)", async () => {
  cacheClear()
  deflu('tables.ck')
  const b = await named('a')
  const c = makeCluster('@api', PROTO_HTTP, `127.0.0.1:${b.port}`)
  closers.push(() => c.close())
  const w = new AppWas(c)
  await w.get('@api/m', { useCache: 'tables.ck' }).getwait(5, { cache: 60 })
  await w.get('@api/m', { useCache: 'tables.ck' }).getwait(5)
  assert.equal(b.hits, 1, 'served from the cache')
  // Let the clock move so the update is strictly after the entry was stored.
  await new Promise((r) => setTimeout(r, 5))
  w.setlu('tables.ck')
  await w.get('@api/m', { useCache: 'tables.ck' }).getwait(5)
  assert.equal(b.hits, 2, 'refetched after setlu')
  w.close()
})

test('setMaxRcache bounds the cache: the least recently used entry goes first, also when shrinking', async () => {
  cacheClear()
  const before = cacheStats().max
  const b = await named('a')
  const c = makeCluster('@api', PROTO_HTTP, `127.0.0.1:${b.port}`)
  closers.push(() => c.close())
  const w = new AppWas(c)
  try {
    setMaxRcache(3)
    for (const p of ['/1', '/2', '/3']) await w.get(`@api${p}`).getwait(5, { cache: 60 })
    await w.get('@api/1').getwait(5) // /1 is now the most recently used
    assert.equal(b.hits, 3)
    await w.get('@api/4').getwait(5, { cache: 60 }) // evicts /2
    assert.equal(cacheStats().size, 3)
    await w.get('@api/1').getwait(5)
    await w.get('@api/3').getwait(5)
    assert.equal(b.hits, 4, '/1 and /3 stayed cached')
    await w.get('@api/2').getwait(5)
    assert.equal(b.hits, 5, '/2 was evicted')
    // Shrinking keeps the most recently used: /3 then /1.
    setMaxRcache(2)
    assert.equal(cacheStats().size, 2)
    await w.get('@api/3').getwait(5)
    await w.get('@api/1').getwait(5)
    assert.equal(b.hits, 5)
    await w.get('@api/4').getwait(5)
    assert.equal(b.hits, 6, '/4 was dropped when shrinking')
  } finally {
    setMaxRcache(before)
    cacheClear()
    w.close()
  }
})

test("a reply fetched with one user's credentials is never served to another user's call", async () => {
  cacheClear()
  const b = await backend((req, res) =>
    json(res, { user: req.headers.authorization ?? null, cookie: req.headers.cookie ?? null }),
  )
  closers.push(b.close)
  const c = makeCluster('@api', PROTO_HTTP, `127.0.0.1:${b.port}`)
  closers.push(() => c.close())
  const w = new AppWas(c)
  const alice = await w.get('@api/me', { auth: ['alice', 'a-pass'] }).getwait(5, { cache: 60 })
  assert.equal(b.hits, 1)
  assert.equal((await w.get('@api/me', { auth: ['alice', 'a-pass'] }).getwait(5)).data, alice.data)
  assert.equal(b.hits, 1, 'the same credentials are served from the cache')
  const bob = await w.get('@api/me', { auth: ['bob', 'b-pass'] }).getwait(5, { cache: 60 })
  assert.equal(b.hits, 2, "bob's call reached the backend")
  assert.notDeepEqual(bob.data, alice.data)
  await w.get('@api/me', { headers: { Cookie: 'sid=1' } }).getwait(5, { cache: 60 })
  await w.get('@api/me', { headers: { Cookie: 'sid=2' } }).getwait(5, { cache: 60 })
  assert.equal(b.hits, 4, 'another session cookie is another entry')
  await w.get('@api/me', { headers: { Cookie: 'sid=2' } }).getwait(5)
  assert.equal(b.hits, 4)
  w.close()
})
