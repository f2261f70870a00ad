import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MemorySharedState, setSharedState, sharedState } from '../src/index.js'

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

test('setSharedState replaces the process channel', () => {
  const before = sharedState()
  const mine = new MemorySharedState()
  setSharedState(mine)
  assert.equal(sharedState(), mine)
  setSharedState(before)
})
