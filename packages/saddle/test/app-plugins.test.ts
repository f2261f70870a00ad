/**
 * `app.use(plugin)` (README "Plugins"): a plugin's gate and route checks join the plans when the app is
 * compiled, only where its factories return a check; an answer from a check ends the request before the
 * handler, in process and over a socket.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Saddle, type SaddlePlugin } from '@skitai/saddle'
import { type Client, clients, closeAll } from './helpers.ts'

function makeApp(): { app: Saddle; seen: string[] } {
  const seen: string[] = []
  const app = new Saddle(import.meta.url, { name: 'plugins' })
  const apiKey: SaddlePlugin = {
    name: 'api-key',
    appGate: () => (was) => {
      seen.push(`gate ${was.request.path}`)
      return was.request.getHeader('x-closed') === 'yes' ? was.Fault(503, 'closed for the day') : undefined
    },
    beforeBodyCheck: (route) =>
      route.options.apiKey !== true
        ? null
        : (was) => (was.request.getHeader('x-api-key') === 'k' ? undefined : was.Fault(401, 'an API key is needed')),
  }
  app.use(apiKey).use(apiKey) // installed once
  app.route('/private', { apiKey: true }, (_was) => 'secret')
  app.route('/public', (_was) => 'open')
  return { app, seen }
}

describe('plugins', () => {
  let list: Client[] = []
  let seen: string[] = []
  before(async () => {
    const made = makeApp()
    seen = made.seen
    list = await clients(made.app)
  })
  after(() => closeAll(list))

  it('a route check applies only where its factory returned one', async () => {
    for (const c of list) {
      assert.equal((await c.get('/public')).text, 'open', c.kind)
      const refused = await c.get('/private')
      assert.equal(refused.status, 401, c.kind)
      assert.match(refused.text, /an API key is needed/)
      const ok = await c.get('/private', { 'x-api-key': 'k' })
      assert.equal(ok.status, 200, c.kind)
      assert.equal(ok.text, 'secret')
    }
  })

  it('the app gate runs for every request, once per request, before the route (404s too)', async () => {
    for (const c of list) {
      seen.length = 0
      assert.equal((await c.get('/nowhere', { 'x-closed': 'yes' })).status, 503, c.kind)
      assert.equal((await c.get('/nowhere')).status, 404, c.kind)
      assert.deepEqual(seen, ['gate /nowhere', 'gate /nowhere'], 'the plugin was installed once')
    }
  })

  it('a plain route keeps the synchronous plan; the checked one does not', () => {
    const { app } = makeApp()
    assert.equal(app.resolveRoute('/public', 'GET')!.route!.plan!.bare, true)
    assert.equal(app.resolveRoute('/private', 'GET')!.route!.plan!.bare, false)
  })
})
