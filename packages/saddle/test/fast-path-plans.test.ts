/**
 * Regression tests for the request hot path (commit 54b9c02, issue 7), route plans: which routes are
 * `bare`, and CORS still enforced for requests that carry an Origin. The argument side of the same fix
 * (`buildFrom`, JSON POSTs, the query fast check) is in fast-path-args.test.ts.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Package, Saddle } from '@skitai/saddle'
import { type Client, clients, closeAll } from './helpers.ts'

const KEY = 'fast-path-securekey-0123456789-abcdefghijkl'
const OK_ORIGIN = 'https://ok.example'
const EVIL = 'https://evil.example'

/** The plan of a route, reached the way the request pipeline reaches it. */
function planOf(app: Saddle, path: string, method = 'GET') {
  const found = app.resolveRoute(path, method)
  assert.ok(found !== null, `no route for ${path}`)
  const route = found.route
  assert.ok(route !== null, `no ${method} route for ${path}`)
  return route.plan!
}

describe('route plans: which routes take the fast path', () => {
  it('a plain route is bare although every route gets the CORS origin check', () => {
    const app = new Saddle(import.meta.url, { name: 'plans' })
    app.route('/plain', (_was) => 'plain')
    app.route('/input', (_was, a) => a)
    app.route('/cors', { cors: [OK_ORIGIN] }, (_was, a = 1) => a)
    const plain = planOf(app, '/plain')
    assert.equal(plain.originChecks, true, 'the CORS check is compiled in (same-origin policy by default)')
    assert.equal(plain.bare, true, 'the origin check must not make a route non-bare')
    assert.equal(plain.simple, true)
    assert.equal(planOf(app, '/input').bare, true)
    assert.equal(planOf(app, '/input').simple, false, 'a handler that takes input is bare, not simple')
    assert.equal(planOf(app, '/cors').bare, true, "a route's own cors option keeps it bare")
  })

  it('app-wide accessControlAllowOrigin keeps routes bare', () => {
    const app = new Saddle(import.meta.url, { name: 'plans-acao' })
    app.accessControlAllowOrigin = [OK_ORIGIN]
    app.route('/x', (_was) => 'x')
    assert.equal(planOf(app, '/x').bare, true)
    assert.equal(planOf(app, '/x').originChecks, true)
  })

  it('a before hook, a route authenticate or csrfVerify makes a route non-bare', () => {
    const hooked = new Saddle(import.meta.url, { name: 'plans-hook' })
    hooked.beforeRequest(() => undefined)
    hooked.route('/h', (_was) => 'h')
    assert.equal(planOf(hooked, '/h').bare, false)

    const auth = new Saddle(import.meta.url, { name: 'plans-auth' })
    auth.users = { admin: 'secret' }
    auth.route('/open', (_was) => 'open')
    auth.route('/basic', { authenticate: 'basic' }, (_was) => 'basic')
    assert.equal(planOf(auth, '/open').bare, true, 'users alone add no check')
    assert.equal(planOf(auth, '/basic').bare, false)

    const pkgApp = new Saddle(import.meta.url, { name: 'plans-pkg' })
    pkgApp.route('/top', (_was) => 'top')
    const pkg = new Package()
    pkg.beforeRequest(() => undefined)
    pkg.route('/inner', (_was) => 'inner')
    pkgApp.addPackage(pkg, { prefix: '/p' })
    assert.equal(planOf(pkgApp, '/top').bare, true, "a package's hook does not touch the app's routes")
    assert.equal(planOf(pkgApp, '/p/inner').bare, false, "a package's hook makes its routes non-bare")

    const guarded = new Saddle(import.meta.url, { name: 'plans-guard' })
    guarded.loginHandler(() => undefined)
    guarded.route('/login', { loginRequired: true }, (_was) => 'in')
    assert.equal(planOf(guarded, '/login').bare, false)

    const csrf = new Saddle(import.meta.url, { name: 'plans-csrf' })
    csrf.securekey = KEY
    csrf.route('/form', { methods: ['POST'], csrfVerify: true }, (_was) => 'ok')
    csrf.route('/free', { methods: ['POST'] }, (_was) => 'ok')
    assert.equal(planOf(csrf, '/form', 'POST').bare, false)
    assert.equal(planOf(csrf, '/free', 'POST').bare, true)
  })
})

describe('CORS is still enforced on bare routes (sockets and in process)', () => {
  let list: Client[]
  let calls = 0
  let site: Saddle
  let api: Saddle
  let star: Saddle
  before(async () => {
    site = new Saddle(import.meta.url, { name: 'cors-site' })
    site.route('/c', { methods: ['GET', 'POST', 'OPTIONS'], cors: [OK_ORIGIN] }, (_was, a = 'none') => {
      calls++
      return `a:${a}`
    })
    site.route('/same', (_was) => {
      calls++
      return 'same'
    })
    api = new Saddle(import.meta.url, { name: 'cors-api' })
    api.accessControlAllowOrigin = [OK_ORIGIN]
    api.accessControlMaxAge = 60
    api.route('/items', { methods: ['GET', 'POST', 'OPTIONS'] }, (_was, n = '0') => {
      calls++
      return { n }
    })
    star = new Saddle(import.meta.url, { name: 'cors-star' })
    star.accessControlAllowOrigin = ['*']
    star.route('/any', (_was) => {
      calls++
      return 'any'
    })
    list = await clients(['/', site], ['/api', api], ['/star', star])
  })
  after(() => closeAll(list))

  it('every CORS route here is bare (so these requests exercise the fast-path decision)', () => {
    assert.equal(planOf(site, '/c').bare, true)
    assert.equal(planOf(site, '/same').bare, true)
    assert.equal(planOf(api, '/items').bare, true)
    assert.equal(planOf(star, '/any').bare, true)
  })

  for (const kind of ['socket', 'inject'] as const) {
    const c = () => list.find((x) => x.kind === kind)!

    it(`${kind}: route cors option: no Origin → 200 without CORS headers; allowed → headers; foreign → 403`, async () => {
      let r = await c().get('/c?a=1')
      assert.equal(r.status, 200)
      assert.equal(r.text, 'a:1')
      assert.equal(r.headers['access-control-allow-origin'], undefined)
      r = await c().get('/c?a=2', { origin: OK_ORIGIN })
      assert.equal(r.status, 200)
      assert.equal(r.text, 'a:2')
      assert.equal(r.headers['access-control-allow-origin'], OK_ORIGIN)
      assert.equal(r.headers['access-control-allow-credentials'], 'true')
      assert.match(String(r.headers.vary), /Origin/)
      const before = calls
      r = await c().get('/c?a=3', { origin: EVIL })
      assert.equal(r.status, 403)
      assert.match(r.text, /evil\.example is not allowed/)
      r = await c().post('/c', { json: { a: 'x' }, headers: { origin: EVIL } })
      assert.equal(r.status, 403, 'a JSON POST with a foreign Origin is refused too')
      r = await c().post('/c', { form: { a: 'x' }, headers: { origin: EVIL } })
      assert.equal(r.status, 403, 'a form POST with a foreign Origin is refused too')
      assert.equal(calls, before, 'the handler never ran for a foreign origin')
      r = await c().post('/c', { json: { a: 'j' }, headers: { origin: OK_ORIGIN } })
      assert.equal(r.status, 200)
      assert.equal(r.text, 'a:j')
      assert.equal(r.headers['access-control-allow-origin'], OK_ORIGIN)
    })

    it(`${kind}: a preflight is answered by the framework; the handler does not run`, async () => {
      const before = calls
      let r = await c().request('OPTIONS', '/c', {
        headers: { origin: OK_ORIGIN, 'access-control-request-method': 'POST' },
      })
      assert.equal(r.status, 200)
      assert.equal(r.text, '')
      assert.equal(r.headers['access-control-allow-origin'], OK_ORIGIN)
      assert.equal(r.headers['access-control-allow-methods'], 'GET, POST, OPTIONS')
      r = await c().request('OPTIONS', '/api/items', {
        headers: { origin: OK_ORIGIN, 'access-control-request-method': 'POST' },
      })
      assert.equal(r.status, 200)
      assert.equal(r.headers['access-control-max-age'], '60')
      r = await c().request('OPTIONS', '/c', { headers: { origin: EVIL, 'access-control-request-method': 'POST' } })
      assert.equal(r.status, 403)
      r = await c().request('OPTIONS', '/c', { headers: { 'access-control-request-method': 'POST' } })
      assert.equal(r.status, 200, 'a preflight without Origin is still a preflight')
      assert.equal(calls, before)
    })

    it(`${kind}: no cors settings → same origin only; app-wide settings apply to plain routes`, async () => {
      const before = calls
      assert.equal((await c().get('/same')).status, 200)
      assert.equal((await c().get('/same', { origin: EVIL })).status, 403)
      assert.equal((await c().get('/same', { origin: 'null' })).status, 403)
      assert.equal(calls, before + 1)
      let r = await c().get('/api/items?n=4', { origin: OK_ORIGIN })
      assert.equal(r.status, 200)
      assert.deepEqual(r.json(), { n: '4' })
      assert.equal(r.headers['access-control-allow-origin'], OK_ORIGIN)
      r = await c().get('/api/items?n=5')
      assert.deepEqual(r.json(), { n: '5' })
      assert.equal(r.headers['access-control-allow-origin'], undefined)
      assert.equal((await c().get('/api/items', { origin: EVIL })).status, 403)
      assert.equal((await c().post('/api/items', { json: { n: 1 }, headers: { origin: EVIL } })).status, 403)
      r = await c().get('/star/any', { origin: EVIL })
      assert.equal(r.status, 200)
      assert.equal(r.headers['access-control-allow-origin'], '*')
      assert.equal(r.headers['access-control-allow-credentials'], undefined)
    })
  }
})
