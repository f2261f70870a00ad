import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CookieJar } from '../../src/state/cookie.js'
import { seal } from '../../src/state/iron.js'
import { Session } from '../../src/state/session.js'
import { makeToken, readToken, removeToken } from '../../src/state/tokens.js'

const KEY = 't'.repeat(32)
const session = new Session({
  jar: new CookieJar(undefined, '/'),
  securekey: KEY,
  timeout: 600,
  path: '/',
  secure: false,
  clientAddress: () => '::1',
})
const s = () => session

test('a one-time token carries its object until it expires', async () => {
  const t = await makeToken(KEY, s, { uid: 7, action: 'reset' }, 60)
  assert.deepEqual(readToken(KEY, s, t), { uid: 7, action: 'reset' })
  assert.equal(readToken('x'.repeat(32), s, t), null, 'another key')
  assert.equal(readToken(KEY, s, t.replace(/\*[^*]+~2$/, '*AAAA~2')), null, 'tampered')
  const old = await seal({ t: 'tok', o: 1, e: Math.floor(Date.now() / 1000) - 1, k: null, i: 'x' }, KEY, 60)
  assert.equal(readToken(KEY, s, old), null, 'expired')
  const notToken = await seal({ d: {}, s: {}, e: 9e9, a: '' }, KEY, 60)
  assert.equal(readToken(KEY, s, notToken), null, 'a session seal is not a token')
  await assert.rejects(makeToken(KEY, s, 1, 0), /timeout/)
  await assert.rejects(makeToken('short', s, 1, 10), /securekey/)
})

test('a session-bound token is revoked by rmtoken and replaced by a newer one', async () => {
  const t1 = await makeToken(KEY, s, 'first', 60, 'reset')
  assert.equal(readToken(KEY, s, t1), 'first')
  const t2 = await makeToken(KEY, s, 'second', 60, 'reset')
  assert.equal(readToken(KEY, s, t1), null, 'superseded')
  assert.equal(readToken(KEY, s, t2), 'second')
  assert.equal(removeToken(KEY, s, t2), true)
  assert.equal(readToken(KEY, s, t2), null, 'revoked')
  assert.equal(removeToken(KEY, s, t2), false)
})
