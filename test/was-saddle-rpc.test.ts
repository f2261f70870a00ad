// was.rpc / was.jsonrpc against a real Saddle app served by the engine (its routes are RPC methods).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { PROTO_HTTP, Was, registerAlias, unregisterAlias } from '@skitai/was'

let engine: Engine

before(async () => {
  const app = new Saddle(import.meta.url)
  app.route('/add', (_was: unknown, a: number, b: number) => a + b)
  app.route('/fail', (was: any) => was.response.throw(403, 'not for you'))
  engine = new Engine()
  engine.mount('/rpc2', app)
  const port = await engine.listen({ port: 0, address: '127.0.0.1' })
  registerAlias('@self', PROTO_HTTP, `127.0.0.1:${port}`)
})

after(async () => {
  await unregisterAlias('@self')
  await engine.close(1)
})

test("was.rpc('@self/rpc2').add(1, 2) against a Saddle app returns 3; a failing route is a fault", async () => {
  const was = new Was('g', 1000)
  const r = await was.rpc('@self/rpc2').add(1, 2).getwait(5)
  assert.equal(r.status, 3, r.reason)
  assert.equal(r.data, 3)
  const f = await was.rpc('@self/rpc2').fail().getwait(5)
  assert.equal(f.fault?.code, 403)
  const j = await was.jsonrpc('@self/rpc2').add(4, 10).getwait(5)
  assert.equal(j.data, 14)
  was.close()
})
