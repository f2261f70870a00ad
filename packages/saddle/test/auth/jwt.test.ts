import assert from 'node:assert/strict'
import { createHmac, generateKeyPairSync } from 'node:crypto'
import { test } from 'node:test'
import jwt from 'jsonwebtoken'
import { JwtCodec, looksLikeJwt } from '../../src/auth/jwt.js'

const KEY = 'j'.repeat(32) + 'wt-secret'

/** An unsigned token, as an attacker would write it by hand. */
function algNone(claims: object): string {
  const b = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${b({ alg: 'none', typ: 'JWT' })}.${b(claims)}.`
}

test('mkjwt/dejwt round trip with HS256 and expiry', () => {
  const c = new JwtCodec(KEY)
  const t = c.make({ user: 'hans', roles: ['admin'] }, 60)
  assert.equal(looksLikeJwt(t), true)
  assert.equal(JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).alg, 'HS256')
  const claims = c.decode(t)!
  assert.equal(claims.user, 'hans')
  assert.ok(claims.exp - claims.iat === 60)
})

test('refused: another key, alg none, RS256, HS256 signed with a public key, expired, garbage', () => {
  const c = new JwtCodec(KEY)
  assert.equal(c.decode(new JwtCodec('x'.repeat(32)).make({ user: 'a' })), null)
  assert.equal(c.decode(algNone({ user: 'admin' })), null)
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pubPem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  assert.equal(c.decode(jwt.sign({ user: 'a' }, privateKey, { algorithm: 'RS256' })), null)
  // The classic confusion: HMAC with the server's public key as the secret.
  const confused = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"user":"admin"}').toString('base64url')}`
  const sig = createHmac('sha256', pubPem).update(confused).digest('base64url')
  assert.equal(c.decode(`${confused}.${sig}`), null)
  const expired = jwt.sign({ user: 'a', exp: Math.floor(Date.now() / 1000) - 60 }, KEY, { algorithm: 'HS256' })
  assert.equal(c.decode(expired), null)
  assert.equal(c.decode('a.b.c'), null)
  assert.equal(c.decode(''), null)
})

test('algorithms are pinned: an HS512 token is refused by an HS256 app, accepted when listed', () => {
  const hs512 = jwt.sign({ u: 1 }, KEY, { algorithm: 'HS512' })
  assert.equal(new JwtCodec(KEY).decode(hs512), null)
  assert.equal(new JwtCodec(KEY, ['HS256', 'HS512']).decode(hs512)?.u, 1)
  assert.throws(() => new JwtCodec(KEY, ['RS256']), /not allowed/)
  assert.throws(() => new JwtCodec(KEY, ['none']), /not allowed/)
  assert.throws(() => new JwtCodec('short'), /securekey/)
})

test('refused: a correctly signed token with a crit header (RFC 7515 §4.1.11), accepted without it', () => {
  const c = new JwtCodec(KEY)
  const b = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const signed = (header: object) => {
    const input = `${b(header)}.${b({ user: 'admin' })}`
    return `${input}.${createHmac('sha256', KEY).update(input).digest('base64url')}`
  }
  assert.equal(c.decode(signed({ alg: 'HS256', typ: 'JWT' }))?.user, 'admin')
  assert.equal(c.decode(signed({ alg: 'HS256', typ: 'JWT', crit: ['exp'] })), null)
  assert.equal(
    c.decode(signed({ alg: 'HS256', crit: ['http://example.com/unknown'], 'http://example.com/unknown': 1 })),
    null,
  )
  assert.equal(c.decode(signed({ alg: 'HS256', crit: [] })), null)
})
