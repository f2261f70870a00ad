import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Package, Saddle } from '@skitai/saddle'
import { eachTransport } from './helpers.ts'

const app = new Saddle(import.meta.url, { name: 'deco' })
const pkg = new Package()
const order: string[] = []

/** An app written as a class with TC39 standard decorators (compiled by tsx/esbuild). */
class Site {
  greeting = 'Hi'

  @app.route('/')
  index(_was: unknown) {
    return 'home'
  }

  @app.route('/hello/<name>')
  hello(_was: unknown, name: string, punct = '!') {
    return `${this.greeting}, ${name}${punct}`
  }

  @app.route('/sum', { methods: ['POST'] })
  async sum(_was: unknown, a: number, b: number) {
    return { sum: a + b }
  }

  @app.route('/guarded')
  @app.testpassRequired((was: any) => was.request.query.ok === '1')
  guarded(_was: unknown) {
    return 'let in'
  }

  @app.beforeRequest
  before(was: any) {
    order.push(`before ${was.request.path}`)
  }

  @app.teardownRequest
  teardown(was: any) {
    order.push(`teardown ${was.request.path}`)
  }

  @pkg.route('/item/<int:id>')
  item(was: any, id: number) {
    return was.ab('hello', 'A B') + ` #${id}`
  }

  @app.route('/static-style')
  static staticRoute(_was: unknown) {
    return 'static ok'
  }
}

describe('TC39 decorators on class methods', () => {
  eachTransport(
    async () => {
      new Site()
      app.addPackage(pkg, { prefix: '/pkg' })
      return app
    },
    (kind, client) => {
      it(`${kind}: routes and hooks from decorators, this bound to the instance`, async () => {
        const c = client()
        assert.equal((await c.get('/')).text, 'home')
        assert.equal((await c.get('/hello/Jo_Ann')).text, 'Hi, Jo Ann!')
        assert.equal((await c.get('/hello/Jo?punct=.')).text, 'Hi, Jo.')
        assert.deepEqual((await c.post('/sum', { json: { a: 2, b: 3 } })).json(), { sum: 5 })
        assert.equal((await c.get('/sum')).status, 405)
        assert.equal((await c.get('/guarded')).status, 403)
        assert.equal((await c.get('/guarded?ok=1')).text, 'let in')
        assert.equal((await c.get('/pkg/item/4')).text, '/hello/A_B #4')
        assert.equal((await c.get('/static-style')).text, 'static ok')
        assert.ok(order.includes('before /hello/Jo_Ann'))
        assert.ok(order.includes('teardown /hello/Jo_Ann'))
      })
    },
  )
})
