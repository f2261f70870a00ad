import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { PROTO_HTTP, Was, cacheClear, deflu, registerAlias, unregisterAlias } from '@skitai/was'
import { type Backend, backend, json, sleep } from './helpers.ts'

const closers: Array<() => Promise<void>> = []
after(async () => {
  for (const c of closers) await c()
})

function named(name: string, delay = 0, hangAlways = false): Promise<Backend> {
  return backend((req, res) => {
    if (req.url === '/hang' || hangAlways) return // never answers
    setTimeout(
      () => json(res, { name, n: Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? 0) }),
      delay,
    )
  })
}

test('.lb with one of three members down: 100 calls, 0 failures, none to the dead member once marked down; it comes back', async () => {
  const [a, b, c] = await Promise.all([named('a'), named('b'), named('c')])
  closers.push(a.close, b.close)
  const deadPort = c.port
  await c.close()
  const cluster = registerAlias(
    '@lb3',
    PROTO_HTTP,
    [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`, `127.0.0.1:${deadPort}`],
    { probeInterval: 0.2 },
  )
  closers.push(() => unregisterAlias('@lb3'))
  const was = new Was('g', 1000)
  const results = []
  for (let i = 0; i < 100; i++) results.push(await was.get.lb(`@lb3/x?n=${i}`).getwait(5))
  assert.equal(results.filter((r) => r.status !== 3).length, 0, 'no call failed')
  const dead = cluster.members[2]!
  assert.equal(dead.down, true)
  assert.equal(dead.failures, 1, 'one call met the dead member, was failed over, and none went there after')
  assert.match(dead.downReason ?? '', /ECONNREFUSED/)
  const names = results.map((r) => (r.data as any).name)
  assert.ok(names.includes('a') && names.includes('b'))
  // Once marked down it gets no traffic: more calls all go to a and b without a single retry.
  const more = await Promise.all(Array.from({ length: 30 }, () => was.get('@lb3/y').getwait(5)))
  assert.ok(more.every((r) => r.status === 3 && r.member !== `127.0.0.1:${deadPort}`))
  assert.equal(dead.failures, 1)
  // Restarted on the same port, the probe brings it back and it gets calls again.
  const c2 = await backend((_req, res) => json(res, { name: 'c' }), deadPort)
  closers.push(c2.close)
  for (let i = 0; i < 50 && dead.down; i++) await sleep(50)
  assert.equal(dead.down, false, 'the probe marked it up again')
  const back = await Promise.all(Array.from({ length: 30 }, () => was.get('@lb3/z').getwait(5)))
  assert.ok(back.some((r) => (r.data as any).name === 'c'))
  assert.ok(c2.hits > 0)
  was.close()
})

test('weights: a member of weight 3 gets about three times the calls of a member of weight 1', async () => {
  const [a, b] = await Promise.all([named('a'), named('b')])
  closers.push(a.close, b.close)
  registerAlias('@w', PROTO_HTTP, [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port} 3`])
  closers.push(() => unregisterAlias('@w'))
  const was = new Was('g', 1000)
  for (let i = 0; i < 40; i++) await was.get('@w/').getwait(5)
  assert.equal(a.hits, 10)
  assert.equal(b.hits, 30)
})

test('.map with one member hanging: getswait(1) returns in about 1 s with two status 3 and one status 1', async () => {
  const [a, b, h] = await Promise.all([named('a', 50), named('b', 50), named('h', 0, true)])
  closers.push(a.close, b.close, h.close)
  registerAlias('@m', PROTO_HTTP, [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`, `127.0.0.1:${h.port}`])
  closers.push(() => unregisterAlias('@m'))
  const was = new Was('g', 1000)
  const seen: number[] = []
  const start = performance.now()
  const set = await was.get
    .map('@m/x', {
      filter: (r) => {
        seen.push(r.status)
        return true
      },
    })
    .getswait(1)
  const ms = performance.now() - start
  assert.equal(set.length, 3)
  assert.deepEqual(
    set.map((r) => r.status),
    [3, 3, 1],
  )
  assert.deepEqual(set.status_code, [200, 200, 730])
  assert.ok(ms < 2500, `collected in ${ms.toFixed(0)} ms`)
  assert.deepEqual(seen.slice(0, 2), [3, 3], 'the filter saw the two answers as they arrived')
  console.log(`# map with a hanging member collected in ${ms.toFixed(0)} ms`)

  // filter drops results; data is in member order.
  const only = await was.get.map('@m/x', { filter: (r) => (r.data as any)?.name === 'b' }).getswait(0.5)
  assert.equal(only.length, 1)
  assert.equal((only[0]!.data as any).name, 'b')
  was.close()
})

test('3 × 50 ms map: members called at once', async () => {
  const bs = await Promise.all([named('a', 50), named('b', 50), named('c', 50)])
  for (const b of bs) closers.push(b.close)
  registerAlias(
    '@m3',
    PROTO_HTTP,
    bs.map((b) => `127.0.0.1:${b.port}`),
  )
  closers.push(() => unregisterAlias('@m3'))
  const was = new Was('g', 1000)
  await was.get.map('@m3/warm').getswait(5)
  const times: number[] = []
  for (let i = 0; i < 10; i++) {
    const s = performance.now()
    const set = await was.get.map('@m3/x').getswait(5)
    times.push(performance.now() - s)
    assert.deepEqual(
      set.data.map((d: any) => d.name),
      ['a', 'b', 'c'],
    )
  }
  times.sort((x, y) => x - y)
  console.log(`# 3 x 50 ms map collected: median ${times[5]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms`)
  assert.ok(times[5]! < 150, 'not serial')
})

test('cache: a cached call does not reach the backend; useCache false / timestamp / getlu', async () => {
  cacheClear()
  deflu('tables.k')
  const b = await named('c')
  closers.push(b.close)
  registerAlias('@c', PROTO_HTTP, `127.0.0.1:${b.port}`)
  closers.push(() => unregisterAlias('@c'))
  const was = new Was('g', 1000)
  const r1 = await was.get('@c/item?id=1').getwait(5, { cache: 60 })
  assert.equal(r1.status, 3)
  assert.equal(b.hits, 1)
  const r2 = await was.get('@c/item?id=1').getwait(5)
  assert.equal(b.hits, 1, 'served from the cache')
  assert.equal(r2, r1)
  // Another URL, method or body is another key.
  await was.get('@c/item?id=2').getwait(5)
  await was.post('@c/item?id=1', { a: 1 }).getwait(5)
  assert.equal(b.hits, 3)
  // useCache: false skips it and says no-cache.
  await was.get('@c/item?id=1', { useCache: false }).getwait(5)
  assert.equal(b.hits, 4)
  assert.equal(b.last?.headers['cache-control'], 'no-cache')
  // useCache: timestamp — only entries stored after it.
  await was.get('@c/item?id=1', { useCache: Date.now() + 1000 }).getwait(5)
  assert.equal(b.hits, 5)
  // getlu: cached, then setlu('tables.k') makes the entry stale.
  const k1 = await was.get('@c/model', { useCache: was.getlu('tables.k') }).getwait(5)
  k1.cache(60)
  await was.get('@c/model', { useCache: was.getlu('tables.k') }).getwait(5)
  assert.equal(b.hits, 6)
  was.setlu('tables.k')
  await was.get('@c/model', { useCache: was.getlu('tables.k') }).getwait(5, { cache: 60 })
  assert.equal(b.hits, 7, 'refetched after setlu')
  await was.get('@c/model', { useCache: 'tables.k' }).getwait(5)
  assert.equal(b.hits, 7, "useCache: 'tables.k' is getlu('tables.k')")
  // cacheIf: a 404 is not cached by default.
  const nf = await was.get('@c/nf').getwait(5)
  assert.equal(nf.status, 3)
  assert.throws(() => was.getlu('undeclared'), /not declared/)
  was.close()
})

test('ResultSet.cache only when every member succeeded', async () => {
  cacheClear()
  const [a, b] = await Promise.all([named('a'), named('b')])
  closers.push(a.close, b.close)
  registerAlias('@rc', PROTO_HTTP, [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`])
  closers.push(() => unregisterAlias('@rc'))
  const was = new Was('g', 1000)
  await was.get.map('@rc/x').getswait(5, { cache: 60 })
  const again = await was.get.map('@rc/x').getswait(5)
  assert.equal(a.hits + b.hits, 2, 'the set came from the cache')
  assert.deepEqual(
    again.data.map((d: any) => d.name),
    ['a', 'b'],
  )
  const filtered = await was.get.map('@rc/x', { filter: (r) => (r.data as any).name === 'b' }).getswait(5)
  assert.deepEqual(
    filtered.data.map((d: any) => d.name),
    ['b'],
    'the filter applies to a cached set too',
  )
  assert.equal(a.hits + b.hits, 2)
  // One member timing out: not cached.
  const set = await was.get.map('@rc/hang').getswait(0.2, { cache: 60 })
  assert.deepEqual(set.status_code, [730, 730])
  await was.get.map('@rc/hang').getswait(0.1)
  assert.equal(a.hits + b.hits, 6)
  was.close()
})

test('a ResultSet is in member order, not arrival order; the filter sees results in arrival order', async () => {
  const [slow, fast] = await Promise.all([named('slow', 150), named('fast', 0)])
  closers.push(slow.close, fast.close)
  registerAlias('@ord', PROTO_HTTP, [`127.0.0.1:${slow.port}`, `127.0.0.1:${fast.port}`])
  closers.push(() => unregisterAlias('@ord'))
  const was = new Was('g', 1000)
  const arrived: string[] = []
  const set = await was.get
    .map('@ord/x', {
      filter: (r) => {
        arrived.push((r.data as { name: string }).name)
        return true
      },
    })
    .getswait(5)
  assert.deepEqual(
    set.data.map((d) => (d as { name: string }).name),
    ['slow', 'fast'],
  )
  assert.deepEqual(arrived, ['fast', 'slow'])
  was.close()
})
