import assert from 'node:assert/strict'
import { createHmac, generateKeyPairSync } from 'node:crypto'
import { after, before, test } from 'node:test'
import { Saddle } from '@skitai/saddle'
import jwt from 'jsonwebtoken'
import { KEY, type Served, serve } from './serve.js'

let srv: Served

before(async () => {
  const app = new Saddle(import.meta.url, { name: 'bearer' })
  app.securekey = KEY
  app.route('/login', (was, user) => was.mkjwt({ sub: user, roles: ['user'] }, 60))
  app.route('/me', { authenticate: 'bearer' }, (was) => ({ jwt: was.request.jwt, user: was.request.user }))
  app.route('/decode', (was, token) => JSON.stringify(was.dejwt(token)))
  app.route('/token/make', async (was, uid) => await was.mktoken({ uid }, 60, 'reset'))
  app.route('/token/read', (was, t) => JSON.stringify(was.detoken(t)))
  app.route('/token/revoke', (was, t) => String(was.rmtoken(t)))

  const api = new Saddle(import.meta.url, { name: 'bearer-api' })
  api.securekey = KEY
  api.authenticate = 'bearer'
  api.bearerHandler((was, token) =>
    token === 'opaque-good' || was.request.jwt?.sub === 'hans' ? undefined : 'token revoked',
  )
  api.route('/data', (was) => ({ sub: was.request.jwt?.sub ?? null }))
  // No securekey: JWT-shaped tokens of some other issuer are the bearerHandler's to judge.
  const ext = new Saddle(import.meta.url, { name: 'bearer-ext' })
  ext.authenticate = 'bearer'
  ext.bearerHandler((_was, token) => (token === EXTERNAL_JWT ? undefined : 'unknown token'))
  ext.route('/data', (was) => ({ jwt: was.request.jwt ?? null }))
  srv = await serve({ '/': app, '/api': api, '/ext': ext })
})
after(() => srv.close())

const EXTERNAL_JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJleHQifQ.c2lnbmF0dXJl'
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
const bearer = (t: string) => ({ authorization: `Bearer ${t}` })

test('a JWT from was.mkjwt opens a bearer route; was.request.jwt holds its claims', async () => {
  const token = (await srv.get('/login?user=hans')).text
  const r = await srv.get('/me', bearer(token))
  assert.equal(r.status, 200)
  const body = JSON.parse(r.text)
  assert.equal(body.jwt.sub, 'hans')
  assert.deepEqual(body.jwt.roles, ['user'])
  assert.equal(body.user, 'hans')
  assert.ok(await srv.logLine(/GET \/me .* "hans" /), 'the access log shows the user')
})

test('refused with 401: no token, another key, alg none, RS256, HS256 with the public key, expired', async () => {
  const none = await srv.get('/me')
  assert.equal(none.status, 401)
  assert.equal(none.headers['www-authenticate'], 'Bearer realm="Saddle"')

  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'admin' })}`
  const bad: Record<string, string> = {
    otherKey: jwt.sign({ sub: 'hans' }, 'another-key-another-key-another-key!', { algorithm: 'HS256' }),
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'admin' })}.`,
    rs256: jwt.sign({ sub: 'admin' }, privateKey, { algorithm: 'RS256' }),
    confusion: `${head}.${createHmac('sha256', pub).update(head).digest('base64url')}`,
    expired: jwt.sign({ sub: 'hans', exp: Math.floor(Date.now() / 1000) - 30 }, KEY, { algorithm: 'HS256' }),
  }
  for (const [name, token] of Object.entries(bad)) {
    const r = await srv.get('/me', bearer(token))
    assert.equal(r.status, 401, name)
    assert.match(String(r.headers['www-authenticate']), /^Bearer realm="Saddle", error="invalid_token"/, name)
    assert.equal((await srv.get(`/decode?token=${encodeURIComponent(token)}`)).text, 'null', `dejwt ${name}`)
  }
})

test('app-wide bearer auth with app.bearerHandler for opaque tokens and revocation', async () => {
  assert.equal((await srv.get('/api/data')).status, 401)
  assert.equal((await srv.get('/api/data', bearer('opaque-good'))).text, '{"sub":null}')
  const bad = await srv.get('/api/data', bearer('opaque-bad'))
  assert.equal(bad.status, 401)
  assert.match(String(bad.headers['www-authenticate']), /error_description="token revoked"/)
  const hans = (await srv.get('/login?user=hans')).text
  assert.equal((await srv.get('/api/data', bearer(hans))).text, '{"sub":"hans"}')
  const kim = (await srv.get('/login?user=kim')).text
  assert.equal((await srv.get('/api/data', bearer(kim))).status, 401, 'a valid JWT the handler refuses')
})

test('one-time tokens: sealed, session-bound, revocable', async () => {
  const made = await srv.get('/token/make?uid=7')
  const t = made.text
  const cookie = { cookie: made.cookies[0]!.split(';')[0]! }
  assert.equal((await srv.get(`/token/read?t=${encodeURIComponent(t)}`, cookie)).text, '{"uid":"7"}')
  assert.equal((await srv.get(`/token/read?t=${encodeURIComponent(t)}`)).text, 'null', 'without its session')
  const revoked = await srv.get(`/token/revoke?t=${encodeURIComponent(t)}`, cookie)
  assert.equal(revoked.text, 'true')
  const after = { cookie: revoked.cookies[0]!.split(';')[0]! }
  assert.equal((await srv.get(`/token/read?t=${encodeURIComponent(t)}`, after)).text, 'null')
})

test('without app.securekey a JWT-shaped token goes to app.bearerHandler (no 500)', async () => {
  const ok = await srv.get('/ext/data', bearer(EXTERNAL_JWT))
  assert.equal(ok.status, 200)
  assert.equal(ok.text, '{"jwt":null}', 'not verified, so no claims')
  const other = await srv.get('/ext/data', bearer(`${EXTERNAL_JWT}x`))
  assert.equal(other.status, 401)
  assert.match(String(other.headers['www-authenticate']), /error_description="unknown token"/)
})

test('refused with 401 over a real socket: a JWT signed with the app key but carrying a crit header', async () => {
  const sign = (header: object) => {
    const input = `${b64(header)}.${b64({ sub: 'hans' })}`
    return `${input}.${createHmac('sha256', KEY).update(input).digest('base64url')}`
  }
  assert.equal((await srv.get('/me', bearer(sign({ alg: 'HS256', typ: 'JWT' })))).status, 200)
  const r = await srv.get('/me', bearer(sign({ alg: 'HS256', typ: 'JWT', crit: ['x-unknown'], 'x-unknown': true })))
  assert.equal(r.status, 401)
})
