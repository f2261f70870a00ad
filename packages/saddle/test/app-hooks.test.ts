import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { HttpError, Package, Saddle } from '@skitai/saddle'
import { deflu } from '@skitai/was'
import { type Client, clients, closeAll, eachTransport } from './helpers.ts'

/** Records hook calls per request id (`?id=`), so both transports can run side by side. */
const trail = new Map<string, string[]>()
const rec = (was: any, step: string) => {
  const id = String(was.request.query.id)
  if (!trail.has(id)) trail.set(id, [])
  trail.get(id)!.push(step)
}

function makeApp(): Saddle {
  const app = new Saddle(import.meta.url, { name: 'hooks' })
  app.beforeRequest(async (was) => {
    rec(was, 'app.before')
    if (was.request.query.short === 'app') return 'short by app'
  })
  app.afterRequest((was, response) =>
    rec(was, `app.after(${typeof response === 'string' ? response : typeof response})`),
  )
  app.failedRequest((was, error: any) => {
    rec(was, `app.failed(${error.status ?? error.message})`)
    if (was.request.query.answer === 'app') return { answered: 'by app', message: error.message }
  })
  app.teardownRequest(async (was) => {
    await new Promise((r) => setTimeout(r, 1))
    rec(was, 'app.teardown')
  })

  app.route('/ok', (was) => {
    rec(was, 'handler')
    return 'fine'
  })
  app.route('/boom', (was) => {
    rec(was, 'handler')
    throw new Error('kaboom')
  })
  app.route('/nf', (was) => {
    rec(was, 'handler')
    was.response.throw(404, 'nothing here')
  })
  app.route('/temp', (was) => {
    was.temp.bind('ok', (_w: any, r: unknown) => rec(was, `temp.ok(${r})`))
    was.temp.bind('end', () => rec(was, 'temp.end'))
    was.temp.bind('except', () => rec(was, 'temp.except'))
    return 't'
  })

  const pkg = new Package()
  pkg.beforeRequest((was) => {
    rec(was, 'pkg.before')
    if (was.request.query.short === 'pkg') return 'short by pkg'
  })
  pkg.afterRequest((was) => rec(was, 'pkg.after'))
  pkg.failedRequest((was, error: any) => {
    rec(was, `pkg.failed(${error.message})`)
    if (was.request.query.answer === 'pkg') return 'answered by pkg'
  })
  pkg.teardownRequest((was) => rec(was, 'pkg.teardown'))
  pkg.route('/ok', (was) => {
    rec(was, 'pkg.handler')
    return 'pkg fine'
  })
  pkg.route('/boom', async (was) => {
    rec(was, 'pkg.handler')
    throw new Error('pkg kaboom')
  })
  app.addPackage(pkg, { prefix: '/p', ns: 'p' })
  return app
}

describe('hooks (README "Hooks, errors, guards, events, lifecycle")', () => {
  eachTransport(
    () => makeApp(),
    (kind, c) => {
      let n = 0
      const run = async (path: string) => {
        const id = `${kind}${++n}`
        const r = await c().get(`${path}${path.includes('?') ? '&' : '?'}id=${id}`, { accept: 'application/json' })
        return { r, steps: trail.get(id) ?? [] }
      }

      it(`${kind}: success`, async () => {
        const { r, steps } = await run('/ok')
        assert.equal(r.text, 'fine')
        assert.deepEqual(steps, ['app.before', 'handler', 'app.after(fine)', 'app.teardown'])
      })

      it(`${kind}: a before hook short-circuits; after and teardown still run`, async () => {
        const { r, steps } = await run('/ok?short=app')
        assert.equal(r.text, 'short by app')
        assert.deepEqual(steps, ['app.before', 'app.after(short by app)', 'app.teardown'])
      })

      it(`${kind}: a throw answered by failedRequest`, async () => {
        const { r, steps } = await run('/boom?answer=app')
        assert.equal(r.status, 500)
        assert.deepEqual(r.json(), { answered: 'by app', message: 'kaboom' })
        assert.deepEqual(steps, ['app.before', 'handler', 'app.failed(kaboom)', 'app.teardown'])
      })

      it(`${kind}: a throw not answered → 500 error page`, async () => {
        const { r, steps } = await run('/boom')
        assert.equal(r.status, 500)
        assert.deepEqual(r.json(), { code: 500, message: 'Internal Server Error' })
        assert.deepEqual(steps, ['app.before', 'handler', 'app.failed(kaboom)', 'app.teardown'])
      })

      it(`${kind}: was.response.throw(404)`, async () => {
        const { r, steps } = await run('/nf')
        assert.equal(r.status, 404)
        assert.deepEqual(r.json(), { code: 404, message: 'Not Found', detail: 'nothing here' })
        assert.deepEqual(steps, ['app.before', 'handler', 'app.failed(404)', 'app.teardown'])
      })

      it(`${kind}: package route: app and package hooks nest`, async () => {
        const { r, steps } = await run('/p/ok')
        assert.equal(r.text, 'pkg fine')
        assert.deepEqual(steps, [
          'app.before',
          'pkg.before',
          'pkg.handler',
          'pkg.after',
          'pkg.teardown',
          'app.after(pkg fine)',
          'app.teardown',
        ])
      })

      it(`${kind}: package short-circuit, package answer, error passed on to the app`, async () => {
        let x = await run('/p/ok?short=pkg')
        assert.equal(x.r.text, 'short by pkg')
        assert.deepEqual(x.steps, [
          'app.before',
          'pkg.before',
          'pkg.after',
          'pkg.teardown',
          'app.after(short by pkg)',
          'app.teardown',
        ])
        x = await run('/p/boom?answer=pkg')
        assert.equal(x.r.status, 500)
        assert.equal(x.r.text, 'answered by pkg')
        assert.deepEqual(x.steps, [
          'app.before',
          'pkg.before',
          'pkg.handler',
          'pkg.failed(pkg kaboom)',
          'pkg.teardown',
          'app.after(answered by pkg)',
          'app.teardown',
        ])
        x = await run('/p/boom')
        assert.equal(x.r.status, 500)
        assert.deepEqual(x.steps, [
          'app.before',
          'pkg.before',
          'pkg.handler',
          'pkg.failed(pkg kaboom)',
          'pkg.teardown',
          'app.failed(pkg kaboom)',
          'app.teardown',
        ])
      })

      it(`${kind}: was.temp.bind callbacks`, async () => {
        const { steps } = await run('/temp')
        assert.deepEqual(steps, ['app.before', 'app.after(t)', 'app.teardown', 'temp.ok(t)', 'temp.end'])
      })
    },
  )
})

describe('error pages', () => {
  let debugList: Client[]
  const logged: string[] = []

  eachTransport(
    async () => {
      const app = new Saddle(import.meta.url, { name: 'errs' })
      app.logger = (line) => logged.push(line)
      app.route('/boom', () => {
        throw new Error('secret detail')
      })
      app.route('/teapot', () => {
        throw new HttpError(418, "I'm a teapot", { detail: 'short and stout' })
      })
      app.route('/only-get', { methods: ['GET'] }, () => 'got')
      app.route('/only-get', { methods: ['POST'] }, () => 'posted')
      app.route('/json-only', { methods: ['POST'], contentTypes: ['application/json'] }, (_was, a) => a)
      app.errorHandler(418, (_was, error) => `<p>custom ${error.code} ${error.message} (${error.detail})</p>`)

      const dbg = new Saddle(import.meta.url, { name: 'dbg' })
      dbg.logger = (line) => logged.push(line)
      dbg.debug = true
      dbg.route('/boom', () => {
        throw new Error('visible detail')
      })
      dbg.defaultErrorHandler((was, error) => was.API({ custom: true, code: error.code, tb: Boolean(error.traceback) }))
      dbg.route('/plain-boom', () => {
        throw new Error('x')
      })
      debugList = await clients(dbg)
      return app
    },
    (kind, c) => {
      const d = () => debugList.find((x) => x.kind === kind)!

      it(`${kind}: 500 without the stack; HTML for browsers, JSON otherwise`, async () => {
        let r = await c().get('/boom', { accept: 'application/json' })
        assert.equal(r.status, 500)
        assert.deepEqual(r.json(), { code: 500, message: 'Internal Server Error' })
        r = await c().get('/boom', { accept: 'text/html,application/xhtml+xml' })
        assert.equal(r.status, 500)
        assert.match(String(r.headers['content-type']), /text\/html/)
        assert.match(r.text, /<h1>500 Internal Server Error<\/h1>/)
        assert.doesNotMatch(r.text, /secret detail|at /)
        assert.ok(
          logged.some((l) => l.includes('secret detail')),
          'the error is logged with its stack',
        )
      })

      it(`${kind}: custom errorHandler and defaultErrorHandler; stack only in debug`, async () => {
        const r = await c().get('/teapot')
        assert.equal(r.status, 418)
        assert.equal(r.text, "<p>custom 418 I'm a teapot (short and stout)</p>")
        const x = await d().get('/boom')
        assert.equal(x.status, 500)
        assert.deepEqual(x.json(), { custom: true, code: 500, tb: true })
      })

      it(`${kind}: 404, 405 with Allow, 415, HEAD`, async () => {
        let r = await c().get('/nowhere', { accept: 'application/json' })
        assert.equal(r.status, 404)
        assert.equal(r.json().code, 404)
        r = await c().request('DELETE', '/only-get')
        assert.equal(r.status, 405)
        assert.equal(r.headers.allow, 'GET, POST, HEAD')
        assert.equal((await c().post('/only-get')).text, 'posted')
        r = await c().request('HEAD', '/only-get')
        assert.equal(r.status, 200)
        assert.equal(r.headers['content-length'], '3')
        assert.equal(r.text, '')
        r = await c().post('/json-only', { form: { a: '1' } })
        assert.equal(r.status, 415)
        assert.equal((await c().post('/json-only', { json: { a: 'x' } })).text, 'x')
      })
    },
  )
  after(async () => {
    await closeAll(debugList)
  })
})

describe('guards, events, lifecycle', () => {
  const life: string[] = []
  const app = new Saddle(import.meta.url, { name: 'guards' })

  eachTransport(
    async () => {
      app.loginHandler((was) => {
        if (was.request.getHeader('x-user') === undefined) return was.response.redirect('/login')
      })
      app.permissionHandler((was, perms) => {
        if (!perms.includes(String(was.request.getHeader('x-role')))) was.response.throw(403)
      })
      app.route('/private', { loginRequired: true }, () => 'welcome')
      app.route('/admin', { loginRequired: true, permissionRequired: ['admin'] }, () => 'admin area')
      app.route(
        '/tested',
        app.testpassRequired((was) => was.request.query.pass === '1')((_was) => 'passed'),
      )
      app.route(
        '/testval',
        { testpass: (was) => (was.request.query.pass === '1' ? undefined : 'not today') },
        () => 'ok',
      )
      app.on('hit', (was, n) => {
        was.g.hits = n
      })
      app.route('/emit', async (was) => {
        await was.emit('hit', 7)
        return `hits ${was.g.hits}`
      })
      app.onBroadcast('news', (_was, text) => life.push(`broadcast:${text}`))
      deflu('tables.users')
      app.onBroadcast('model-changed:tables.users', (was, key) => life.push(`model:${key}:${was.app.name}`))
      app.route('/touch', (was) => {
        was.setlu('tables.users')
        return 'touched'
      })
      app.route('/bcast', async (was) => {
        await was.broadcast('news', 'hello')
        return 'sent'
      })
      app.beforeMount((wasc) => {
        life.push('beforeMount')
        wasc.register('shared', { answer: 42 })
      })
      app.mounted((was) => life.push(`mounted:${was.app.name}`))
      app.beforeUmount(() => life.push('beforeUmount'))
      app.umounted(() => life.push('umounted'))
      app.route('/shared', (was: any) => was.shared.answer)
      return app
    },
    (kind, c) => {
      it(`${kind}: loginRequired / permissionRequired / testpass`, async () => {
        let r = await c().get('/private')
        assert.equal(r.status, 302)
        assert.equal(r.headers.location, '/login')
        assert.equal((await c().get('/private', { 'x-user': 'u' })).text, 'welcome')
        assert.equal((await c().get('/admin', { 'x-user': 'u', 'x-role': 'guest' })).status, 403)
        assert.equal((await c().get('/admin', { 'x-user': 'u', 'x-role': 'admin' })).text, 'admin area')
        assert.equal((await c().get('/tested?pass=0')).status, 403)
        assert.equal((await c().get('/tested?pass=1')).text, 'passed')
        r = await c().get('/testval')
        assert.equal(r.text, 'not today')
        assert.equal((await c().get('/testval?pass=1')).text, 'ok')
      })

      it(`${kind}: events, broadcast, wasc.register, lifecycle`, async () => {
        assert.equal((await c().get('/emit')).text, 'hits 7')
        assert.equal((await c().get('/bcast')).text, 'sent')
        assert.ok(life.includes('broadcast:hello'))
        assert.equal((await c().get('/shared')).text, '42')
        assert.equal((await c().get('/touch')).text, 'touched')
        assert.ok(life.includes('model:tables.users:guards'), 'setlu reached onBroadcast')
        assert.deepEqual(life.slice(0, 2), ['beforeMount', 'mounted:guards'])
      })
    },
  )
  after(async () => {
    await app.unmount()
    assert.deepEqual(life.slice(-2), ['beforeUmount', 'umounted'])
  })
})

describe('packages: error handlers, lifecycle, late registration', () => {
  it('a package error handler answers for its routes; hooks added after the first request apply', async () => {
    const app = new Saddle(import.meta.url, { name: 'pkgerr' })
    app.logger = () => {}
    const seen: string[] = []
    app.errorHandler(404, (_was, e) => `app 404: ${e.detail}`)
    app.route('/gone', (was) => was.response.throw(404, 'app route'))
    const pkg = new Package()
    pkg.errorHandler(404, (_was, e) => `pkg 404: ${e.detail}`)
    pkg.route('/gone', (was) => was.response.throw(404, 'pkg route'))
    pkg.beforeMount(() => seen.push('pkg.beforeMount'))
    pkg.mounted((was) => seen.push(`pkg.mounted:${was.app.name}`))
    app.addPackage({ package: pkg }, { prefix: '/p' })
    const list = await clients(app)
    try {
      assert.deepEqual(seen.slice(0, 2), ['pkg.beforeMount', 'pkg.mounted:pkgerr'])
      for (const c of list) {
        assert.equal((await c.get('/gone')).text, 'app 404: app route')
        assert.equal((await c.get('/p/gone')).text, 'pkg 404: pkg route')
        assert.equal((await c.get('/nothing')).text, 'app 404: no route for /nothing')
      }
      app.beforeRequest(() => 'late hook')
      for (const c of list) assert.equal((await c.get('/p/gone')).text, 'late hook')
    } finally {
      await closeAll(list)
    }
  })
})
