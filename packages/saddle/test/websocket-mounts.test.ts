// WebSocket upgrades share the engine's mount table (README "WebSocket routes"): apps under a mount
// point, virtual hosts, and '@alias' mounts that tunnel the WebSocket to a backend.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Engine, type TestClient, testClient } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { PROTO_WS, unregisterAlias } from '@skitai/was'

let backend: Engine
let front: Engine
let cli: TestClient

function wsApp(name: string): Saddle {
  const app = new Saddle(import.meta.url, { name })
  app.route('/ws/echo', { websocket: {} }, (was, message) => `${name}@${was.app.basePath || '/'}: ${message}`)
  return app
}

before(async () => {
  backend = new Engine()
  backend.enableAccessLog(false)
  backend.mount('/', wsApp('backend'))
  const bport = await backend.listen({ port: 0 })
  front = new Engine()
  front.enableAccessLog(false)
  front.alias('@wsback', PROTO_WS, `127.0.0.1:${bport}`)
  front.mount('/', wsApp('default'))
  front.mount('/v1', wsApp('versioned'))
  front.mount('/', wsApp('site2'), { host: 'site2.example' })
  front.mount('/tunnel', '@wsback')
  cli = testClient({ port: await front.listen({ port: 0 }) })
})
after(async () => {
  await cli.close()
  await front.close(1)
  await backend.close(1)
  await unregisterAlias('@wsback')
})

async function say(path: string, msg: string, headers?: Record<string, string>): Promise<string> {
  const ws = await cli.ws(path, { headers })
  await ws.send(msg)
  const got = String(await ws.receive())
  await ws.close()
  return got
}

test('the longest mount point wins for upgrades too', async () => {
  assert.equal(await say('/ws/echo', 'a'), 'default@/: a')
  assert.equal(await say('/v1/ws/echo', 'b'), 'versioned@/v1: b')
})

test('virtual hosts route upgrades by Host', async () => {
  assert.equal(await say('/ws/echo', 'c', { host: 'site2.example' }), 'site2@/: c')
})

test("an '@alias' mount tunnels the WebSocket to the backend", async () => {
  assert.equal(await say('/tunnel/ws/echo', 'd'), 'backend@/: d')
})
