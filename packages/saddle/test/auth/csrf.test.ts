import assert from 'node:assert/strict'
import { test } from 'node:test'
import { csrfMatches, csrfToken, csrfTokenInput, takeSentToken } from '../../src/auth/csrf.js'
import { CookieJar } from '../../src/state/cookie.js'
import { Session } from '../../src/state/session.js'

const mk = () =>
  new Session({
    jar: new CookieJar(undefined, '/'),
    securekey: 'c'.repeat(32),
    timeout: 60,
    path: '/',
    secure: false,
    clientAddress: () => '::1',
  })

test('the CSRF token is created once per session and checked in constant time', () => {
  const s = mk()
  const t = csrfToken(s)
  assert.match(t, /^[A-Za-z0-9_-]{32}$/)
  assert.equal(csrfToken(s), t)
  assert.equal(csrfTokenInput(s), `<input type="hidden" name="_csrf_token" value="${t}">`)
  assert.equal(csrfMatches(s, t), true)
  assert.equal(csrfMatches(s, t.slice(0, -1) + (t.endsWith('A') ? 'B' : 'A')), false)
  assert.equal(csrfMatches(s, undefined), false)
  assert.equal(csrfMatches(mk(), t), false, 'a session without a token accepts nothing')
})

test('the token is taken from the header or a form field, and removed from the arguments', () => {
  const args: Record<string, unknown> = { _csrf_token: 'f', name: 'x' }
  assert.equal(takeSentToken(undefined, args), 'f')
  assert.deepEqual(args, { name: 'x' })
  const args2: Record<string, unknown> = { XSRF_TOKEN: 'g' }
  assert.equal(takeSentToken('h', args2), 'h', 'the header wins')
  assert.deepEqual(args2, {})
  assert.equal(takeSentToken(undefined, { _csrf_token: ['a', 'b'] }), 'a')
  assert.equal(takeSentToken(undefined, null), undefined)
  assert.equal(takeSentToken('', { other: 1 }), undefined)
})
