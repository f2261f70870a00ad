import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  cacheClear,
  cacheStats,
  deflu,
  getlu,
  LU_PREFIX,
  MemorySharedState,
  onModelChanged,
  setlu,
  setSharedState,
  sharedBackend,
  sharedState,
} from '../src/index.js'
import { cacheGet, cacheSet } from '../src/cache.js'

test('memory shared state: set/get, change listeners, ttl expiry', async () => {
  const s = new MemorySharedState()
  const seen: Array<[string, unknown]> = []
  const off = s.onChange((k, v) => seen.push([k, v]))
  s.set('g.DB_STATUS', 4)
  assert.equal(s.get('g.DB_STATUS'), 4)
  s.set('revoked:abc', true, 30)
  assert.equal(s.get('revoked:abc'), true)
  assert.deepEqual(
    s.snapshot().map(([k]) => k),
    ['g.DB_STATUS', 'revoked:abc'],
  )
  await new Promise((r) => setTimeout(r, 50))
  assert.equal(s.get('revoked:abc'), undefined)
  s.set('g.DB_STATUS', undefined)
  assert.equal(s.get('g.DB_STATUS'), undefined)
  off()
  s.set('after', 1)
  assert.deepEqual(seen, [
    ['g.DB_STATUS', 4],
    ['revoked:abc', true],
    ['g.DB_STATUS', undefined],
  ])
})

test('memory shared state: publish reaches every subscriber of the topic once; a throwing one does not stop the rest', () => {
  const s = new MemorySharedState()
  const got: unknown[] = []
  s.subscribe('broadcast', () => {
    throw new Error('broken listener')
  })
  const off = s.subscribe('broadcast', (m) => got.push(m))
  s.subscribe('other', (m) => got.push(['other', m]))
  s.publish('broadcast', { name: 'user-updated', args: [1] })
  off()
  s.publish('broadcast', 'late')
  assert.deepEqual(got, [{ name: 'user-updated', args: [1] }])
})

test('setSharedState installs a backend behind the stable channel; listeners move to it', () => {
  const channel = sharedState()
  const first = new MemorySharedState()
  const previous = setSharedState(first)
  try {
    const changes: string[] = []
    const messages: unknown[] = []
    channel.onChange((k, v) => changes.push(`${k}=${v}`))
    channel.subscribe('t', (m) => messages.push(m))
    channel.set('a', 1)
    assert.equal(first.get('a'), 1, 'writes go to the backend')
    const second = new MemorySharedState()
    assert.equal(setSharedState(second), first)
    assert.equal(sharedState(), channel, 'the channel object stays')
    assert.equal(sharedBackend(), second)
    // what arrives at the new backend from elsewhere reaches the listeners registered before the switch
    second.applyRemoteSet('b', 2)
    second.applyRemoteMessage('t', 'hello')
    // the old backend is no longer listened to
    first.applyRemoteSet('c', 3)
    first.applyRemoteMessage('t', 'stale')
    assert.equal(channel.get('a'), undefined, 'values are not copied: the new backend has its own')
    assert.deepEqual(changes, ['a=1', 'b=2'])
    assert.deepEqual(messages, ['hello'])
  } finally {
    setSharedState(previous)
  }
})

test('setlu/getlu live in the channel: a remote update is seen, fires model-changed, and drops a stale cached result', async () => {
  const previous = setSharedState(new MemorySharedState())
  try {
    deflu('tables.remote')
    const events: Array<[string, string, number]> = []
    const off = onModelChanged((event, key, time) => events.push([event, key, time]))
    assert.equal(getlu('tables.remote'), 0)
    setlu('tables.remote')
    const local = getlu('tables.remote')
    assert.ok(local > 0)
    assert.equal(sharedState().get(`${LU_PREFIX}tables.remote`), local)
    // another worker's later update arrives through the backend
    const remote = local + 5000
    ;(sharedBackend() as MemorySharedState).applyRemoteSet(`${LU_PREFIX}tables.remote`, remote)
    assert.equal(getlu('tables.remote'), remote)
    // a setlu here after it is still later than the remote time (strictly increasing)
    setlu('tables.remote')
    assert.ok(getlu('tables.remote') > remote)
    off()
    assert.deepEqual(
      events.map(([e, k]) => `${e} ${k}`),
      [
        'model-changed:tables.remote tables.remote',
        'model-changed:tables.remote tables.remote',
        'model-changed:tables.remote tables.remote',
      ],
    )
    assert.equal(events[1]![2], remote)
    // the cache: an entry stored before the model time is a miss and is dropped
    cacheClear()
    cacheSet('k', { v: 1 }, 60)
    assert.deepEqual(cacheGet('k', 0), { v: 1 })
    assert.equal(cacheGet('k', getlu('tables.remote')), undefined)
    assert.equal(cacheStats().size, 0, 'the stale entry was dropped')
  } finally {
    setSharedState(previous)
    cacheClear()
  }
})
