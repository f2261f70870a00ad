import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Package, Saddle, signatureStats } from '@skitai/saddle'
import { eachTransport } from './helpers.ts'

const keys = (was: any) => Object.keys(was.request.args).sort().join(' ')

function makeApp(): Saddle {
  const app = new Saddle(import.meta.url, { name: 'argsapp' })
  app.route('/do', (was) => keys(was))
  app.route('/do2', (was, a) => keys(was) + (a === undefined ? '' : ''))
  app.route('/do3/<u>', (was, { ...form }) => keys(was) + (form ? '' : ''))
  app.route('/do4/<u>', (was, u, a, b) => keys(was) + (u && a && b ? '' : ''))
  app.route('/do5/<u>', (was, u, a) => keys(was) + (u && a ? '' : ''))
  app.route('/hello/<int:num>', (was, num = 8) => `num is ${num} (${typeof num})`)
  app.route('/owners/<oid>', (was, oid = null) => `owner ${oid}`)
  app.route('/add', (was, num1, num2) => Number(num1) + Number(num2))
  app.route('/greet/<name>', { name: 'hello' }, (was, name) => `Hello, ${name}`)
  app.route('/slash/', (_was) => 'slash')
  app.route('/noslash', (_was) => 'noslash')
  app.route('/price/<float:p>', (was, p) => `${p + 1}`)
  app.route('/dl/<int:major>/<path:rest>', (was, major, rest) => `${major}|${rest}`)
  app.route('/typed', (was, n, f, ok, items, obj) => ({ n, f, ok, items, obj }))
  app.route('/links', (was) => ({
    add: was.ab('add', 10, 40),
    add2: was.ab('add', 10, { num2: 60 }),
    hello: was.ab('hello', 'Your Name'),
    owners: was.ab('owners'),
    owner: was.ab('owners', 54),
    base: was.baseurl('hello'),
    pkg: was.ab('v1.items', 3),
  }))
  app.route('/partial', (was, num1, num2) => was.partial('add', { num2: 99 }) + (num1 && num2 ? '' : ''))
  const pkg = new Package()
  pkg.route('/items/<int:id>', (was, id) => `item ${id}`)
  pkg.route('/back', (was) => was.ab('add', 1, 2) + ' ' + was.ab('items', 7))
  app.addPackage(pkg, { prefix: '/v1', ns: 'v1' })
  return app
}

describe('arguments by name (in process and over sockets)', () => {
  let readsAfterRegistration = 0

  const transports = eachTransport(
    async () => {
      const app = makeApp()
      readsAfterRegistration = signatureStats.reads
      return app
    },
    (kind, c) => {
      it(`${kind}: the issue-3 matrix`, async () => {
        const ok = async (p: Promise<any>, text: string) => {
          const r = await p
          assert.equal(r.status, 200, r.text)
          assert.equal(r.text, text)
        }
        const bad = async (p: Promise<any>, why: RegExp) => {
          const r = await p
          assert.equal(r.status, 400, r.text)
          assert.match(r.text, why)
        }
        await ok(c().get('/do'), '')
        await ok(c().get('/do?a=1'), 'a')
        await bad(c().get('/do2'), /missing parameter: a/)
        await ok(c().get('/do2?a=1'), 'a')
        await bad(c().get('/do2?a=1&b=1'), /unexpected parameter: b/)
        await bad(c().post('/do2?a=1', { form: { b: '1' } }), /unexpected parameter: b/)
        await ok(c().post('/do2', { json: { a: 1 } }), 'a')
        await ok(c().post('/do3/1', { form: { a: '1' } }), 'a u')
        await ok(c().post('/do4/1?a=1', { form: { b: '1' } }), 'a b u')
        await bad(c().post('/do5/1?a=1', { json: { b: 1 } }), /unexpected parameter: b/)
      })

      it(`${kind}: a JSON body that is not an object is 400; malformed JSON is 400`, async () => {
        let r = await c().post('/do2', { body: '[1,2]', headers: { 'content-type': 'application/json' } })
        assert.equal(r.status, 400)
        assert.match(r.text, /object/)
        r = await c().post('/do2', { body: '{"a":', headers: { 'content-type': 'application/json' } })
        assert.equal(r.status, 400)
        r = await c().post('/do2', {
          body: '{"a":1,"__proto__":{"x":1}}',
          headers: { 'content-type': 'application/json' },
        })
        assert.equal(r.status, 400)
      })

      it(`${kind}: fancy URLs, defaults and the optional last variable`, async () => {
        assert.equal((await c().get('/hello/100')).text, 'num is 100 (number)')
        assert.equal((await c().get('/hello/abc')).status, 404)
        assert.equal((await c().get('/owners')).text, 'owner null')
        assert.equal((await c().get('/owners/54')).text, 'owner 54')
        assert.equal((await c().get('/greet/Your_Name')).text, 'Hello, Your Name')
        assert.equal((await c().get('/price/1.5')).text, '2.5')
        assert.equal((await c().get('/dl/3/a/b/c.txt')).text, '3|a/b/c.txt')
        assert.equal((await c().get('/add?num1=1&num2=2')).text, '3')
        assert.equal((await c().post('/add', { form: { num1: '4', num2: '5' } })).text, '9')
        assert.equal((await c().post('/add', { json: { num1: 4, num2: 6 } })).text, '10')
      })

      it(`${kind}: type prefixes`, async () => {
        const r = await c().get('/typed?int:n=3&float:f=1.5&bit:ok=yes&list:items=a,b&json:obj=%7B%22k%22%3A1%7D')
        assert.deepEqual(r.json(), { n: 3, f: 1.5, ok: true, items: ['a', 'b'], obj: { k: 1 } })
        assert.equal((await c().get('/typed?int:n=x&f=1&ok=1&items=1&obj=1')).status, 400)
      })

      it(`${kind}: trailing slash rules`, async () => {
        const r = await c().get('/slash?x=1')
        assert.equal(r.status, 301)
        assert.equal(r.headers.location, '/slash/?x=1')
        assert.equal((await c().get('/slash/')).text, 'slash')
        assert.equal((await c().get('/noslash/')).status, 404)
        assert.equal((await c().get('/v1')).status, 404)
      })

      it(`${kind}: URL building (was.ab, baseurl, partial, packages both ways)`, async () => {
        const links = (await c().get('/links')).json()
        assert.deepEqual(links, {
          add: '/add?num1=10&num2=40',
          add2: '/add?num1=10&num2=60',
          hello: '/greet/Your_Name',
          owners: '/owners',
          owner: '/owners/54',
          base: '/greet/',
          pkg: '/v1/items/3',
        })
        assert.equal((await c().get(links.hello)).text, 'Hello, Your Name')
        assert.equal((await c().get('/partial?num1=5&num2=6')).text, '/add?num1=5&num2=99')
        assert.equal((await c().get('/v1/back')).text, '/add?num1=1&num2=2 /v1/items/7')
        assert.equal((await c().get('/v1/items/7')).text, 'item 7')
      })
    },
  )

  it('reads each handler signature once, at registration, never per request', async () => {
    const reads = signatureStats.reads
    assert.equal(reads, readsAfterRegistration)
    for (const cl of transports()) for (let i = 0; i < 5; i++) await cl.get('/do4/1?a=1&b=2')
    assert.equal(signatureStats.reads, reads)
  })

  it('names a fancy variable the handler lacks at registration', () => {
    const app = new Saddle(import.meta.url)
    assert.throws(() => app.route('/x/<id>', (_was) => 'x'), /id/)
  })
})

describe('mount points', () => {
  eachTransport(
    async () => {
      const app = makeApp()
      const other = new Saddle(import.meta.url, { name: 'other' })
      other.route('/', (_was) => 'other root')
      other.route('/cross', (was) => was.ab('argsapp:add', 1, 2) + ' ' + was.ab('page') + ' ' + was.ab('index'))
      other.route('/page', (_was) => 'p')
      return [
        ['/v2', app],
        ['/other', other],
      ]
    },
    (kind, client) => {
      it(`${kind}: bare mount point → 308; URLs include the mount point; cross-app names`, async () => {
        const c = client()
        const r = await c.get('/other?x=1')
        assert.equal(r.status, 308)
        assert.equal(r.headers.location, '/other/?x=1')
        assert.equal((await c.get('/other/')).text, 'other root')
        assert.equal((await c.get('/v2/links')).json().add, '/v2/add?num1=10&num2=40')
        assert.equal((await c.get('/other/cross')).text, '/v2/add?num1=1&num2=2 /other/page /other/')
        assert.equal((await c.get('/v2/slash')).headers.location, '/v2/slash/')
      })
    },
  )
})
