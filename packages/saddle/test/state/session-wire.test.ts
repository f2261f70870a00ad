import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { HttpError, Saddle } from '@skitai/saddle'
import { Cookies, KEY, type Served, serve } from '../auth/serve.js'

let srv: Served
let other: Served

function makeApp(key: string, timeout = 1200): Saddle {
  const app = new Saddle(import.meta.url, { name: `sess${key.length}${timeout}` })
  app.securekey = key
  app.sessionTimeout = timeout
  app.route('/set', (was, name, value) => {
    was.session.set(name, value)
    return 'ok'
  })
  app.route('/get', (was) => ({
    entries: Object.fromEntries(was.session.entries()),
    v: was.session.getv('user') ?? null,
  }))
  app.route('/peek', (was) => String(was.session.has('user')))
  app.route('/logout', (was) => {
    was.session.expire()
    return 'bye'
  })
  app.route('/cookie/set', (was, name, value) => {
    was.cookie.set(name, value)
    was.cookie.set(name, `${value}!`, { expires: 60 }) // one Set-Cookie per name: the last wins
    return 'ok'
  })
  app.route('/cookie/read', (was) => ({ all: Object.fromEntries(was.cookie.entries()) }))
  app.route('/cookie/then-403', (was) => {
    was.cookie.set('kept', '1')
    throw new HttpError(403, 'no')
  })
  app.route('/cookie/then-crash', (was) => {
    was.cookie.set('dropped', '1')
    was.session.set('dropped', 1)
    throw new Error('boom')
  })
  app.route('/flash', (was, msg = '') => {
    if (msg) return { sent: was.mbox.send(msg, 'info') }
    return { got: was.mbox.get().map((m) => m.msg) }
  })
  return app
}

before(async () => {
  srv = await serve({ '/': makeApp(KEY), '/short': makeApp(KEY, 1) })
  other = await serve({ '/': makeApp(`${KEY}-other`) })
})
after(async () => {
  await srv.close()
  await other.close()
})

test('a session set in one request is read in the next; reads do not re-issue it', async () => {
  const jar = new Cookies()
  const r1 = jar.take(await srv.get('/set?name=user&value=hans'))
  assert.equal(r1.status, 200)
  assert.equal(r1.cookies.length, 1)
  assert.match(
    r1.cookies[0]!,
    /^SKITAI_SESSION=Fe26\.2\*.*; Max-Age=1200; Path=\/; Expires=.*; HttpOnly; SameSite=Lax$/,
  )
  const r2 = await srv.get('/get', jar.header())
  assert.deepEqual(JSON.parse(r2.text), { entries: { user: 'hans' }, v: 'hans' })
  assert.equal(r2.cookies.length, 0, 'reading does not extend the session')
  assert.equal((await srv.get('/get')).text, '{"entries":{},"v":null}')
})

test('tampered (one byte flipped), foreign-key and expired cookies give an empty session, 200', async () => {
  const jar = new Cookies()
  jar.take(await srv.get('/set?name=user&value=hans'))
  const good = jar.get('SKITAI_SESSION')!
  const i = Math.floor(good.length / 2)
  const flipped = good.slice(0, i) + (good[i] === 'a' ? 'b' : 'a') + good.slice(i + 1)
  const r = await srv.get('/peek', { cookie: `SKITAI_SESSION=${flipped}` })
  assert.equal(r.status, 200)
  assert.equal(r.text, 'false')
  // Another app with another securekey does not accept it.
  const f = await other.get('/peek', jar.header())
  assert.equal(f.status, 200)
  assert.equal(f.text, 'false')
  assert.equal((await srv.get('/peek', jar.header())).text, 'true', 'the untouched cookie still works')
  // sessionTimeout = 1 s on /short: empty after it expired.
  const sj = new Cookies()
  sj.take(await srv.get('/short/set?name=user&value=x'))
  assert.equal((await srv.get('/short/peek', sj.header())).text, 'true')
  await sleep(2100)
  const e = await srv.get('/short/peek', sj.header())
  assert.equal(e.status, 200)
  assert.equal(e.text, 'false')
})

test('the session cookie is Secure when the request came over HTTPS (here: from a trusted proxy)', async () => {
  const plain = await srv.get('/set?name=user&value=hans')
  assert.doesNotMatch(plain.cookies[0]!, /; Secure/)
  const tls = await srv.get('/set?name=user&value=hans', { 'x-forwarded-proto': 'https' })
  assert.match(tls.cookies[0]!, /^SKITAI_SESSION=Fe26\.2\*.*; HttpOnly; Secure; SameSite=Lax$/)
})

test('logout (expire) deletes the cookie', async () => {
  const jar = new Cookies()
  jar.take(await srv.get('/set?name=user&value=hans'))
  const r = jar.take(await srv.get('/logout', jar.header()))
  assert.match(r.cookies[0]!, /^SKITAI_SESSION=; Max-Age=0/)
  assert.equal(jar.get('SKITAI_SESSION'), undefined)
})

test('after logout a replayed copy of the old cookie (also an older re-issue) is an empty session', async () => {
  const jar = new Cookies()
  jar.take(await srv.get('/set?name=user&value=hans'))
  const first = jar.header()
  jar.take(await srv.get('/set?name=role&value=admin', first)) // re-issued: same session, another cookie value
  const second = jar.header()
  assert.notDeepEqual(first, second)
  assert.deepEqual(JSON.parse((await srv.get('/get', first)).text).entries, { user: 'hans' })
  jar.take(await srv.get('/logout', second))
  assert.equal((await srv.get('/get', first)).text, '{"entries":{},"v":null}')
  assert.equal((await srv.get('/get', second)).text, '{"entries":{},"v":null}')
  // a session started after the logout is a new one, not revoked
  const next = new Cookies()
  next.take(await srv.get('/set?name=user&value=hans', second))
  assert.deepEqual(JSON.parse((await srv.get('/get', next.header())).text).entries, { user: 'hans' })
  // another session of the same user is untouched by this logout
  const other2 = new Cookies()
  other2.take(await srv.get('/set?name=user&value=hans'))
  assert.deepEqual(JSON.parse((await srv.get('/get', other2.header())).text).entries, { user: 'hans' })
})

test('cookies: default path is the mount point, one Set-Cookie per name, read back', async () => {
  const r = await srv.get('/short/cookie/set?name=lang&value=ko')
  assert.equal(r.cookies.length, 1)
  assert.match(r.cookies[0]!, /^lang=ko!; Max-Age=60; Path=\/short; Expires=/)
  const back = await srv.get('/cookie/read', { cookie: 'lang=ko!; a=1' })
  assert.deepEqual(JSON.parse(back.text), { all: { lang: 'ko!', a: '1' } })
})

test('cookies are written with an HttpError and dropped after an exception', async () => {
  const r = await srv.get('/cookie/then-403')
  assert.equal(r.status, 403)
  assert.deepEqual(
    r.cookies.map((c) => c.split(';')[0]),
    ['kept=1'],
  )
  const c = await srv.get('/cookie/then-crash')
  assert.equal(c.status, 500)
  assert.deepEqual(c.cookies, [])
})

test('a flash message survives a redirect-like second request and shows once', async () => {
  const jar = new Cookies()
  jar.take(await srv.get('/flash?msg=Saved', jar.header()))
  const first = jar.take(await srv.get('/flash', jar.header()))
  assert.deepEqual(JSON.parse(first.text), { got: ['Saved'] })
  const second = jar.take(await srv.get('/flash', jar.header()))
  assert.deepEqual(JSON.parse(second.text), { got: [] })
})

test('getv is bound to the client address the session was issued to', async () => {
  // Behind a trusted proxy (127.0.0.1) X-Forwarded-For gives the client address.
  const jar = new Cookies()
  jar.take(await srv.get('/set?name=user&value=hans', { 'x-forwarded-for': '203.0.113.5' }))
  const same = await srv.get('/get', { ...jar.header(), 'x-forwarded-for': '203.0.113.5' })
  assert.equal(JSON.parse(same.text).v, 'hans')
  const moved = await srv.get('/get', { ...jar.header(), 'x-forwarded-for': '198.51.100.7' })
  assert.deepEqual(JSON.parse(moved.text), { entries: { user: 'hans' }, v: null })
})

test('using was.session without app.securekey is a clear error (500 naming the setting)', async () => {
  const app = new Saddle(import.meta.url, { name: 'nokey' })
  app.debug = true
  app.route('/s', (was) => String(was.session.get('x')))
  const s = await serve({ '/': app })
  try {
    const r = await s.get('/s', { accept: 'application/json' })
    assert.equal(r.status, 500)
    assert.match(r.text, /app\.securekey/)
  } finally {
    await s.close()
  }
})
