import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CookieJar } from '../../src/state/cookie.js'

test('cookie jar reads the Cookie header lazily and reflects sets and removes', () => {
  const jar = new CookieJar('a=1; b=hello%20world; c=3', '/app')
  assert.equal(jar.get('a'), '1')
  assert.equal(jar.get('b'), 'hello world')
  assert.equal(jar.has('z'), false)
  assert.deepEqual(jar.keys(), ['a', 'b', 'c'])
  jar.set('z', 'new')
  jar.remove('a')
  assert.equal(jar.get('z'), 'new')
  assert.equal(jar.has('a'), false)
  assert.deepEqual(jar.entries(), [
    ['b', 'hello world'],
    ['c', '3'],
    ['z', 'new'],
  ])
  assert.equal(jar.requestValue('a'), '1', 'the value the client sent is still readable')
  const lines = jar.setCookieHeaders()
  assert.equal(lines.length, 2)
  assert.match(lines[0]!, /^z=new; Path=\/app$/)
  assert.match(lines[1]!, /^a=; Max-Age=0; Path=\/app; Expires=Thu, 01 Jan 1970 00:00:00 GMT$/)
})

test('one Set-Cookie per name: the last set wins', () => {
  const jar = new CookieJar(undefined, '/')
  jar.set('x', '1')
  jar.set('y', '2')
  jar.set('x', '3', { httpOnly: true })
  const lines = jar.setCookieHeaders()
  assert.equal(lines.length, 2)
  assert.equal(lines[0], 'x=3; Path=/; HttpOnly')
  assert.equal(jar.get('x'), '3')
})

test('expires: seconds, never, 0; options are serialized', () => {
  const jar = new CookieJar('', '/')
  jar.set('s', 'v', { expires: 60, secure: true, sameSite: 'strict', domain: 'example.com', path: '/p' })
  jar.set('n', 'v', { expires: 'never' })
  jar.set('d', 'v', { expires: 0 })
  const [s, n, d] = jar.setCookieHeaders()
  assert.match(s!, /^s=v; Max-Age=60; Domain=example.com; Path=\/p; Expires=[^;]+ GMT; Secure; SameSite=Strict$/)
  const exp = Date.parse(/Expires=([^;]+)/.exec(s!)![1]!)
  assert.ok(Math.abs(exp - (Date.now() + 60_000)) < 5000)
  assert.match(n!, /Max-Age=34560000/)
  assert.match(d!, /Max-Age=0/)
  assert.equal(jar.has('d'), false)
  assert.throws(() => jar.set('x', 'v', { expires: -1 }), /expires must be/)
})

test('clear deletes every cookie the client sent and drops pending sets', () => {
  const jar = new CookieJar('a=1; b=2', '/')
  jar.set('new', 'x')
  jar.clear()
  assert.deepEqual(jar.keys(), [])
  const lines = jar.setCookieHeaders()
  assert.equal(lines.length, 2)
  assert.ok(lines.every((l) => l.includes('Max-Age=0')))
})

test('invalid names and values are refused instead of injected', () => {
  const jar = new CookieJar(undefined, '/')
  assert.throws(() => jar.set('bad name', 'v'))
  assert.throws(() => jar.set('n', 'v', { path: '/; Domain=evil.com' }))
  assert.equal(jar.dirty, false)
})
