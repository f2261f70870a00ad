import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { digestChallenges, digestMatches, digestShape, NonceStore, parseDigest } from '../../src/auth/digest.js'

const md5 = (s: string) => createHash('md5').update(s).digest('hex')

test('RFC 7616 §3.9.1 example (MD5) verifies', () => {
  // The RFC's example request, with its published response value.
  const h =
    'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, ' +
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, ' +
    'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, ' +
    'response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
  const p = parseDigest(h)!
  assert.equal(p.username, 'Mufasa')
  assert.equal(p.nc, '00000001')
  const req = { method: 'GET', uri: '/dir/index.html' }
  const alg = digestShape(p, 'http-auth@example.org', 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS', ['MD5'], req)
  assert.equal(alg, 'MD5')
  assert.equal(digestMatches(p, 'MD5', 'Circle of Life', req), true)
  assert.equal(digestMatches(p, 'MD5', 'circle of life', req), false)
  assert.equal(digestShape(p, 'http-auth@example.org', 'other', ['MD5'], req), null, 'wrong opaque')
  assert.equal(digestShape(p, 'other', 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS', ['MD5'], req), null)
  assert.equal(
    digestShape(p, 'http-auth@example.org', 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS', ['SHA-256'], req),
    null,
  )
  assert.equal(
    digestShape(p, 'http-auth@example.org', 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS', ['MD5'], {
      method: 'GET',
      uri: '/other',
    }),
    null,
    'a header captured for another URI',
  )
})

test('quoted strings with escapes and garbage headers', () => {
  assert.deepEqual({ ...parseDigest('Digest username="a\\"b", realm="r,x"')! }, { username: 'a"b', realm: 'r,x' })
  assert.equal(parseDigest('Basic abc'), null)
  assert.equal(parseDigest('Digest username="unterminated'), null)
  assert.equal(parseDigest('Digest =x'), null)
  assert.equal(parseDigest(undefined), null)
})

test('nonces: authentic, counted, expiring, refused when forged or replayed', () => {
  const store = new NonceStore('secret-of-the-app', 10)
  const t0 = Date.now()
  const n = store.issue(t0)
  assert.equal(store.check(n, '00000001', t0 + 1), 'ok')
  assert.equal(store.check(n, '00000002', t0 + 2), 'ok')
  assert.equal(store.check(n, '00000002', t0 + 3), 'stale', 'a replayed nc')
  assert.equal(store.check(n, '00000001', t0 + 3), 'stale')
  assert.equal(store.check(n, '00000003', t0 + 11_000), 'stale', 'expired')
  const forged = n.slice(0, 10) + (n[10] === 'A' ? 'B' : 'A') + n.slice(11)
  assert.equal(store.check(forged, '00000001', t0), 'invalid')
  assert.equal(store.check('short', '00000001', t0), 'invalid')
  assert.equal(store.check(n, 'zz', t0), 'invalid')
  // Another worker with the same secret accepts it (stateless check), once per count.
  const other = new NonceStore('secret-of-the-app', 10)
  assert.equal(other.check(n, '00000005', t0 + 5), 'ok')
  assert.equal(other.check(n, '00000005', t0 + 5), 'stale')
  assert.equal(new NonceStore('another-secret', 10).check(n, '00000009', t0), 'invalid')
  assert.equal(store.opaque, other.opaque)
})

test('tracking is bounded; evicted nonces are refused as stale', () => {
  const store = new NonceStore('s', 300, 100)
  const t0 = Date.now()
  const first = store.issue(t0)
  for (let i = 1; i <= 150; i++) store.issue(t0 + i)
  assert.equal(store.check(first, '00000001', t0 + 200), 'stale')
  const recent = store.issue(t0 + 300)
  assert.equal(store.check(recent, '00000001', t0 + 301), 'ok')
  assert.ok((store as any).seen.size <= 101)
})

test('challenges: one per algorithm in order, stale flag', () => {
  const c = digestChallenges('my "realm"', 'NONCE', 'OPQ', ['MD5', 'SHA-256'], true)
  assert.equal(c.length, 2)
  assert.equal(
    c[0],
    'Digest realm="my \\"realm\\"", qop="auth", algorithm=MD5, nonce="NONCE", opaque="OPQ", stale=true',
  )
  assert.match(c[1]!, /algorithm=SHA-256/)
  assert.equal(md5('x').length, 32)
})
