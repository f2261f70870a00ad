/**
 * teardownRequest runs in every case (README "Hooks, errors, guards, events, lifecycle"), including the two paths that skip failedRequest: an app
 * with no failed hooks at all (the error goes straight to the error page) and an early answer from
 * setEtag (304), and for a package without failed hooks nested in such an app.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Package, Saddle } from '@skitai/saddle'
import { eachTransport } from './helpers.ts'

const trail = new Map<string, string[]>()
const rec = (was: any, step: string) => {
  const id = String(was.request.query.id)
  const list = trail.get(id) ?? []
  list.push(step)
  trail.set(id, list)
}

function makeApp(): Saddle {
  const app = new Saddle(import.meta.url, { name: 'teardowns' })
  app.teardownRequest((was) => rec(was, 'app.teardown'))
  app.route('/boom', (_was) => {
    throw new Error('kaboom')
  })
  app.route('/etag', (was) => {
    was.response.setEtag('v1')
    return 'body'
  })
  const pkg = new Package()
  pkg.teardownRequest((was) => rec(was, 'pkg.teardown'))
  pkg.route('/boom', async (_was) => {
    throw new Error('pkg kaboom')
  })
  app.addPackage(pkg, { prefix: '/p', ns: 'p' })
  return app
}

describe('teardown without failedRequest hooks', () => {
  eachTransport(
    () => makeApp(),
    (kind, c) => {
      it(`${kind}: an unanswered throw, a 304 from setEtag and a package throw all tear down`, async () => {
        let r = await c().get(`/boom?id=${kind}1`, { accept: 'application/json' })
        assert.equal(r.status, 500)
        assert.deepEqual(trail.get(`${kind}1`), ['app.teardown'])
        r = await c().get(`/etag?id=${kind}2`, { 'if-none-match': '"v1"' })
        assert.equal(r.status, 304)
        assert.deepEqual(trail.get(`${kind}2`), ['app.teardown'])
        r = await c().get(`/p/boom?id=${kind}3`, { accept: 'application/json' })
        assert.equal(r.status, 500)
        assert.deepEqual(trail.get(`${kind}3`), ['pkg.teardown', 'app.teardown'])
      })
    },
  )
})
