import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  CORS_ALLOWED,
  CORS_FORBIDDEN,
  CORS_NONE,
  compileCors,
  corsHeaders,
  corsVerdict,
  isPreflight,
  preflightHeaders,
} from '../../src/auth/cors.js'

test('origin verdicts: own origin, allowed list, star, foreign', () => {
  const own = 'http://127.0.0.1:5000'
  const none = compileCors(undefined)
  assert.equal(corsVerdict(undefined, own, none), CORS_NONE)
  assert.equal(corsVerdict('http://127.0.0.1:5000', own, none), CORS_NONE)
  assert.equal(corsVerdict('http://evil.com', own, none), CORS_FORBIDDEN)
  assert.equal(corsVerdict('null', own, none), CORS_FORBIDDEN)
  const list = compileCors(['https://A.com/', 'https://b.com'])
  assert.equal(corsVerdict('https://a.com', own, list), CORS_ALLOWED)
  assert.equal(corsVerdict('https://a.com.evil.com', own, list), CORS_FORBIDDEN)
  assert.equal(corsVerdict('http://a.com', own, list), CORS_FORBIDDEN, 'scheme matters')
  assert.equal(corsVerdict('https://anything.org', own, compileCors(['*'])), CORS_ALLOWED)
  assert.equal(corsVerdict('https://anything.org', own, compileCors(true)), CORS_ALLOWED)
  assert.throws(() => compileCors(['a.com']), /not an origin/)
})

test('response and preflight headers', () => {
  const list = compileCors(['https://a.com'], 600)
  assert.deepEqual(corsHeaders('https://a.com', list), [
    ['access-control-allow-origin', 'https://a.com'],
    ['access-control-allow-credentials', 'true'],
  ])
  assert.deepEqual(corsHeaders('https://x.com', compileCors(['*'])), [['access-control-allow-origin', '*']])
  assert.equal(isPreflight('OPTIONS', 'PUT'), true)
  assert.equal(isPreflight('OPTIONS', undefined), false)
  const h = new Map(preflightHeaders('https://a.com', list, ['PUT', 'OPTIONS'], 'content-type, x-token'))
  assert.equal(h.get('access-control-allow-methods'), 'PUT, OPTIONS')
  assert.equal(h.get('access-control-allow-headers'), 'content-type, x-token')
  assert.equal(h.get('access-control-max-age'), '600')
  const bad = new Map(preflightHeaders('https://a.com', list, null, 'x\r\ny: z'))
  assert.equal(bad.has('access-control-allow-headers'), false)
})
