import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Saddle } from '@skitai/saddle'
import { eachTransport } from './helpers.ts'

const appFile = new URL('./fixtures/tpl-app/app.ts', import.meta.url).href

describe('templates (README "Templates")', () => {
  let backend: Server
  let origin = ''
  let inFlight = 0
  let maxInFlight = 0

  eachTransport(
    async () => {
      // A real backend: each answer takes 40 ms, so the two calls only overlap if both were fired first.
      backend = createServer((req, res) => {
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        setTimeout(() => {
          inFlight--
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ name: req.url === '/a' ? 'Alpha <&>' : 'Beta' }))
        }, 40)
      })
      await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r))
      origin = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`

      const app = new Saddle(appFile, { name: 'tpl' })
      app.templateDirs.push(fileURLToPath(new URL('./fixtures/tpl-app/more', import.meta.url)))
      app.route('/page', (was) => {
        const a = was.get(`${origin}/a`) // fired now
        const b = was.get(`${origin}/b`) // fired now, in parallel
        return was.render('page.html', {
          a,
          b,
          plain: Promise.resolve('resolved promise'),
          html: '<script>alert(1)</script>',
        })
      })
      app.route('/extra', (was) => was.render('extra.html', { who: 'me' }))
      app.route('/either', (was) => was.renderOrAPI('item.html', { name: 'thing' }))
      app.route('/direct', () => app.getTemplate('item.html').render({ name: 'direct' }))
      app.route('/missing', (was) => was.render('nope.html'))
      app.logger = () => {}
      return app
    },
    (kind, c) => {
      it(`${kind}: a template shows the results of two backend calls fired in the handler`, async () => {
        maxInFlight = 0
        const r = await c().get('/page')
        assert.equal(r.status, 200, r.text)
        assert.match(r.text, /^<html><body>/)
        assert.match(r.text, /<p id="a">Alpha &lt;&amp;&gt; \(200\)<\/p>/)
        assert.match(r.text, /<p id="b">Beta<\/p>/)
        assert.match(r.text, /<p id="p">resolved promise<\/p>/)
        assert.match(r.text, /<p id="x">&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/p>/, 'autoescape on')
        assert.match(r.text, /<p id="app">tpl GET<\/p>/)
        assert.equal(maxInFlight, 2, 'both backend calls were in flight at once')
      })

      it(`${kind}: templateDirs, renderOrAPI by Accept, getTemplate, a missing template → 500`, async () => {
        assert.equal((await c().get('/extra')).text.trim(), 'extra me')
        assert.equal((await c().get('/either', { accept: 'text/html' })).text.trim(), '<li>thing</li>')
        assert.deepEqual((await c().get('/either', { accept: 'application/json' })).json(), { name: 'thing' })
        assert.equal((await c().get('/direct')).text.trim(), '<li>direct</li>')
        assert.equal((await c().get('/missing')).status, 500)
      })
    },
  )
  after(async () => {
    backend.closeAllConnections()
    await new Promise((r) => backend.close(r))
  })
})
