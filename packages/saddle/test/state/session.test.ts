import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sealData, unsealData } from 'iron-session'
import { CookieJar } from '../../src/state/cookie.js'
import { seal, unsealSync } from '../../src/state/iron.js'
import { SESSION_COOKIE, Session, type SessionHost } from '../../src/state/session.js'

const KEY = 'k'.repeat(16) + 'e'.repeat(16) + 'y'.repeat(8)
const OTHER = 'o'.repeat(40)

function host(cookie: string | undefined, addr = '10.0.0.1', key: string | null = KEY): SessionHost {
  return {
    jar: new CookieJar(cookie, '/'),
    securekey: key ?? undefined,
    timeout: 1200,
    path: '/',
    secure: false,
    clientAddress: () => addr,
  }
}

/** The session cookie value a response would set. */
function issued(h: SessionHost, name = SESSION_COOKIE): string | undefined {
  const line = h.jar.setCookieHeaders().find((l) => l.startsWith(`${name}=`))
  return line === undefined ? undefined : decodeURIComponent(line.slice(name.length + 1).split(';')[0]!)
}

test('iron format interop: our sync open reads iron-session seals and iron-session reads ours', async () => {
  const data = { user: 'hans', n: [1, 2, 3] }
  const theirs = await sealData(data, { password: KEY, ttl: 60 })
  assert.deepEqual(unsealSync(theirs, KEY), data)
  const ours = await seal(data, KEY, 60)
  assert.deepEqual(await unsealData(ours, { password: KEY, ttl: 60 }), data)
  assert.equal(unsealSync(theirs, OTHER), undefined, 'another key')
  const flipped = theirs.slice(0, 60) + (theirs[60] === 'A' ? 'B' : 'A') + theirs.slice(61)
  assert.equal(unsealSync(flipped, KEY), undefined, 'one byte flipped')
  assert.equal(unsealSync('garbage', KEY), undefined)
  assert.equal(unsealSync(theirs, KEY, Date.now() + 200_000), undefined, 'expired seal')
})

test('the HMAC guards every field: edited expiry, another spelling of the MAC, a foreign MAC → refused', async () => {
  const good = await seal({ user: 'hans' }, KEY, 60)
  assert.deepEqual(unsealSync(good, KEY), { user: 'hans' })
  const parts = good.slice(0, -2).split('*')
  const reseal = (i: number, v: string) => `${parts.map((p, j) => (j === i ? v : p)).join('*')}~2`
  // The ciphertext is intact here, so only the HMAC check can refuse these.
  assert.equal(unsealSync(reseal(5, String(Number(parts[5]) + 3_600_000)), KEY), undefined, 'expiry extended')
  assert.equal(unsealSync(reseal(5, ''), KEY), undefined, 'expiry removed')
  const mac = parts[7]!
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const spare = alphabet[alphabet.indexOf(mac.at(-1)!) ^ 1]! // same decoded bytes, other text
  assert.equal(unsealSync(reseal(7, mac.slice(0, -1) + spare), KEY), undefined, 'last MAC character respelled')
  assert.equal(unsealSync(reseal(7, `${mac}!`), KEY), undefined, 'a character outside base64url appended')
  const other = (await seal({ user: 'admin' }, KEY, 60)).slice(0, -2).split('*')
  assert.equal(unsealSync(reseal(7, other[7]!), KEY), undefined, "another seal's MAC")
  assert.equal(unsealSync(reseal(1, ''), KEY), undefined, 'password id other than 1')
})

test('a session is written only when changed, and read back on the next request', async () => {
  const h1 = host(undefined)
  const s1 = new Session(h1)
  assert.equal(s1.get('user'), undefined)
  await s1.commit()
  assert.equal(h1.jar.setCookieHeaders().length, 0, 'reading does not issue a cookie')
  s1.set('user', 'hans')
  s1.set('roles', ['admin'])
  await s1.commit()
  const line = h1.jar.setCookieHeaders()[0]!
  assert.match(line, /^SKITAI_SESSION=Fe26\.2.*; Max-Age=1200; Path=\/; Expires=.*; HttpOnly; SameSite=Lax$/)
  const cookie = issued(h1)!

  const h2 = host(`${SESSION_COOKIE}=${encodeURIComponent(cookie)}`)
  const s2 = new Session(h2)
  assert.equal(s2.get('user'), 'hans')
  assert.deepEqual(s2.entries(), [
    ['user', 'hans'],
    ['roles', ['admin']],
  ])
  assert.deepEqual(s2.keys(), ['user', 'roles'])
  assert.equal(s2.has('roles'), true)
  await s2.commit()
  assert.equal(h2.jar.setCookieHeaders().length, 0, 'reads do not extend the session')
  s2.touch()
  await s2.commit()
  assert.ok(issued(h2), 'touch re-issues')
})

test('tampered, foreign-key and expired cookies give an empty session without error', async () => {
  const h1 = host(undefined)
  const s1 = new Session(h1)
  s1.set('user', 'hans')
  await s1.commit()
  const cookie = issued(h1)!
  const i = Math.floor(cookie.length / 2)
  const tampered = cookie.slice(0, i) + (cookie[i] === 'x' ? 'y' : 'x') + cookie.slice(i + 1)
  for (const c of [tampered, 'nonsense', '']) {
    const s = new Session(host(`${SESSION_COOKIE}=${encodeURIComponent(c)}`))
    assert.deepEqual(s.keys(), [])
  }
  assert.deepEqual(new Session(host(`${SESSION_COOKIE}=${encodeURIComponent(cookie)}`, '10.0.0.1', OTHER)).keys(), [])
  // Expired by our own clock (iron's seal allows 60 s of skew, the session's own expiry does not).
  const expired = await seal({ d: { user: 'hans' }, s: {}, e: Math.floor(Date.now() / 1000) - 1, a: '' }, KEY, 60)
  assert.deepEqual(new Session(host(`${SESSION_COOKIE}=${encodeURIComponent(expired)}`)).keys(), [])
})

test('using a session without a proper securekey is a clear error', () => {
  assert.throws(() => new Session(host(undefined, '1.1.1.1', null)).get('x'), /app\.securekey.*32 characters.*not set/)
  assert.throws(() => new Session(host(undefined, '1.1.1.1', 'short')).get('x'), /5 characters long/)
})

test('getv is bound to the address the session was issued to', async () => {
  const h1 = host(undefined, '10.0.0.1')
  const s1 = new Session(h1)
  s1.set('user', 'hans')
  await s1.commit()
  const cookie = `${SESSION_COOKIE}=${encodeURIComponent(issued(h1)!)}`
  assert.equal(new Session(host(cookie, '10.0.0.1')).getv('user'), 'hans')
  const elsewhere = new Session(host(cookie, '10.9.9.9'))
  assert.equal(elsewhere.getv('user'), undefined)
  assert.equal(elsewhere.get('user'), 'hans')
  // A change made from another address does not move the binding.
  const h3 = host(cookie, '10.9.9.9')
  const s3 = new Session(h3)
  s3.set('x', 1)
  await s3.commit()
  assert.equal(
    new Session(host(`${SESSION_COOKIE}=${encodeURIComponent(issued(h3)!)}`, '10.9.9.9')).getv('user'),
    undefined,
  )
})

test('remove, clear and expire', async () => {
  const h1 = host(undefined)
  const s1 = new Session(h1)
  s1.set('a', 1)
  s1.set('b', 2)
  await s1.commit()
  const cookie = `${SESSION_COOKIE}=${encodeURIComponent(issued(h1)!)}`
  const h2 = host(cookie)
  const s2 = new Session(h2)
  s2.remove('a')
  assert.deepEqual(s2.values(), [2])
  s2.clear()
  await s2.commit()
  assert.match(h2.jar.setCookieHeaders()[0]!, /^SKITAI_SESSION=; Max-Age=0/, 'an emptied session deletes its cookie')
  const h3 = host(cookie)
  const s3 = new Session(h3)
  s3.expire()
  assert.equal(s3.get('a'), undefined)
  await s3.commit()
  assert.match(h3.jar.setCookieHeaders()[0]!, /Max-Age=0/)
})

test('named sessions live in their own cookie with their own path and timeout', async () => {
  const h = host(undefined)
  const s = new Session(h)
  const admin = s.mount('admin', { path: '/admin', timeout: 60 })
  assert.equal(s.mount('admin'), admin)
  admin.set('level', 9)
  await s.commit()
  const lines = h.jar.setCookieHeaders()
  assert.equal(lines.length, 1)
  assert.match(lines[0]!, /^SKITAI_SESSION_admin=Fe26.*; Max-Age=60; Path=\/admin;/)
  const back = new Session(host(`SKITAI_SESSION_admin=${encodeURIComponent(issued(h, 'SKITAI_SESSION_admin')!)}`))
  assert.equal(back.mount('admin').get('level'), 9)
  assert.equal(back.get('level'), undefined)
  assert.throws(() => s.mount('bad name'), /session name/)
})

test('an oversized session is refused with a clear error', async () => {
  const s = new Session(host(undefined))
  s.set('blob', 'x'.repeat(5000))
  await assert.rejects(s.commit(), /too big for a cookie/)
})
