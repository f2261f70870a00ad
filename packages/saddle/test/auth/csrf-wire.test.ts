import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Saddle } from '@skitai/saddle'
import { Cookies, KEY, type Served, serve } from './serve.js'

let srv: Served
let calls = 0

before(async () => {
  const app = new Saddle(import.meta.url, { name: 'csrf' })
  app.securekey = KEY
  app.route('/form', (was) => `<form method="post" action="/submit">${was.csrfTokenInput}<input name="title"></form>`)
  app.route('/token', (was) => was.csrfToken)
  app.route('/submit', { methods: ['POST'], csrfVerify: true }, (_was, title) => {
    calls++
    return `saved ${title}`
  })
  app.route('/bare', { methods: ['POST'], csrfVerify: true }, (_was) => 'bare ok')
  // Without the route option, the handler takes the token as a parameter and checks it itself.
  app.route('/manual', { methods: ['POST'] }, (was, a, _csrf_token) => `${was.csrfVerify()} ${a} ${_csrf_token}`)
  srv = await serve({ '/': app })
})
after(() => srv.close())

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

test('CSRF: missing or wrong token → 400, the right one in the form or the header → 200', async () => {
  const jar = new Cookies()
  const page = jar.take(await srv.get('/form'))
  const token = /name="_csrf_token" value="([^"]+)"/.exec(page.text)![1]!
  assert.ok(jar.get('SKITAI_SESSION'), 'the token lives in the session cookie')
  const h = { ...FORM, ...jar.header() }

  const missing = await srv.send('POST', '/submit', h, 'title=x')
  assert.equal(missing.status, 400)
  assert.match(missing.text, /CSRF/)
  const wrong = await srv.send('POST', '/submit', h, `title=x&_csrf_token=${token.slice(0, -2)}xx`)
  assert.equal(wrong.status, 400)
  const noSession = await srv.send('POST', '/submit', FORM, `title=x&_csrf_token=${token}`)
  assert.equal(noSession.status, 400, 'a token without its session is refused')
  assert.equal(calls, 0, 'the handler never ran')

  const ok = await srv.send('POST', '/submit', h, `title=hello&_csrf_token=${token}`)
  assert.equal(ok.status, 200)
  assert.equal(ok.text, 'saved hello', 'the token field is not an unexpected parameter')
  const alt = await srv.send('POST', '/submit', h, `title=alt&XSRF_TOKEN=${token}`)
  assert.equal(alt.text, 'saved alt')
  const viaHeader = await srv.send(
    'POST',
    '/submit',
    { 'content-type': 'application/json', 'x-xsrf-token': token, ...jar.header() },
    JSON.stringify({ title: 'json' }),
  )
  assert.equal(viaHeader.status, 200)
  assert.equal(viaHeader.text, 'saved json')
  assert.equal((await srv.send('POST', '/bare', h, `_csrf_token=${token}`)).text, 'bare ok')
  assert.equal(calls, 3)
})

test('was.csrfVerify() answers without failing the request', async () => {
  const jar = new Cookies()
  const token = jar.take(await srv.get('/token')).text
  const h = { ...FORM, ...jar.header() }
  assert.equal((await srv.send('POST', '/manual', h, `_csrf_token=${token}&a=1`)).text, `true 1 ${token}`)
  assert.equal((await srv.send('POST', '/manual', h, '_csrf_token=nope&a=1')).text, 'false 1 nope')
})

test('a CSRF token in the query string is refused (it leaks through logs and Referer)', async () => {
  const jar = new Cookies()
  const token = jar.take(await srv.get('/token')).text
  const h = { ...FORM, ...jar.header() }
  const before = calls
  for (const field of ['_csrf_token', 'XSRF_TOKEN']) {
    const r = await srv.send('POST', `/submit?${field}=${encodeURIComponent(token)}`, h, 'title=q')
    assert.equal(r.status, 400, `${field} in the query`)
    assert.match(r.text, /CSRF/)
  }
  assert.equal(calls, before, 'the handler never ran')
  const m = await srv.send('POST', `/manual?_csrf_token=${encodeURIComponent(token)}`, h, 'a=1')
  assert.match(m.text, /^false 1 /, 'was.csrfVerify() ignores the query too')
  // The body's token still passes when the query carries a copy, which does not reach the handler.
  const ok = await srv.send(
    'POST',
    `/submit?_csrf_token=${encodeURIComponent(token)}`,
    h,
    `title=b&_csrf_token=${token}`,
  )
  assert.equal(ok.status, 200, ok.text)
  assert.equal(ok.text, 'saved b')
})
