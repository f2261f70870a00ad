/**
 * RPC dispatch inside one app, in process: package routes by dotted name, hooks around every call of a
 * batch, a status set by one call not leaking into the next, handler return types.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type RpcFault, testClient } from '@skitai/engine'
import { Package, Saddle } from '@skitai/saddle'

function app(): { app: Saddle; log: string[] } {
  const log: string[] = []
  const a = new Saddle(import.meta.url, { name: 'rpcapp' })
  a.beforeRequest((was) => void log.push(`before ${was.route?.path}`))
  a.afterRequest((was) => void log.push(`after ${was.route?.path}`))
  a.route('/gone', (was) => {
    was.response.status(410)
    return 'this one is gone'
  })
  a.route('/ok', (_was) => 'fine')
  a.route('/api', (was) => was.API({ via: 'API' }))
  a.route('/api-error', (was) => was.API({ why: 'no' }, 409))
  a.route('/fault', (was) => was.Fault(422, 'not processable'))
  a.route('/redirect', (was) => was.response.redirect('/elsewhere'))
  a.route('/cycle', (_was) => {
    const o: Record<string, unknown> = {}
    o.self = o
    return o
  })
  const v1 = new Package()
  v1.beforeRequest((was) => void log.push(`v1 before ${was.route?.path}`))
  v1.route('/owners', (_was, oid = 0) => `owner ${oid}`)
  a.addPackage(v1, { prefix: '/v1', ns: 'v1' })
  return { app: a, log }
}

const fault = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail('expected a fault'),
    (e: RpcFault) => [e.faultCode, e.faultString],
  )

describe('RPC inside an app', () => {
  test('package routes by dotted name from the mount point, or by short name under their prefix', async () => {
    const { app: a, log } = app()
    const cli = testClient(a)
    assert.equal(await cli.xmlrpc('/').v1.owners(7), 'owner 7')
    assert.equal(await cli.xmlrpc('/v1').owners(8), 'owner 8')
    assert.equal(await cli.jsonrpc('/v1/').owners(), 'owner 0')
    assert.deepEqual(log.slice(0, 3), ['before /owners', 'v1 before /owners', 'after /owners'])
    const listed = await cli.xmlrpc('/v1').system.listMethods()
    assert.ok(listed.includes('owners'))
  })

  test('hooks run around each call of a multicall, and one call’s status does not leak', async () => {
    const { app: a, log } = app()
    const cli = testClient(a)
    const r = await cli.xmlrpc('/').system.multicall([
      { methodName: 'gone', params: [] },
      { methodName: 'ok', params: [] },
      { methodName: 'v1.owners', params: [3] },
    ])
    assert.deepEqual(r, [{ faultCode: 410, faultString: 'this one is gone' }, ['fine'], ['owner 3']])
    assert.equal(log.filter((l) => l.startsWith('before')).length, 3)
    const batch = await cli.request('POST', '/', {
      headers: { 'content-type': 'application/json-rpc' },
      body: JSON.stringify([
        { jsonrpc: '2.0', method: 'gone', id: 1 },
        { jsonrpc: '2.0', method: 'ok', id: 2 },
      ]),
    })
    const [gone, ok] = batch.json()
    assert.equal(gone.error.data.status, 410)
    assert.equal(ok.result, 'fine')
  })

  test('API and Fault results, and answers that only make sense over HTTP', async () => {
    const cli = testClient(app().app)
    const rpc = cli.xmlrpc('/')
    assert.deepEqual(await rpc.api(), { via: 'API' })
    assert.deepEqual(await fault(rpc.api_error()), [404, 'no such method: api_error'])
    assert.equal((await fault(cli.xmlrpc('/')['api-error']()))[0], 409)
    assert.deepEqual(await fault(rpc.fault()), [422, 'not processable'])
    assert.deepEqual(await fault(rpc.redirect()), [
      500,
      'a redirect or a file answer cannot be returned to an RPC call',
    ])
    assert.deepEqual(await fault(rpc.cycle()), [500, 'cannot send a cyclic value'])
    const j = await cli
      .jsonrpc('/')
      .cycle()
      .catch((e: RpcFault) => e)
    assert.equal(j.faultCode, -32603)
  })
})
