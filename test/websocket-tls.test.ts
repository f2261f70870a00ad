// WebSocket routes over TLS: the upgrade of an https connection (the TLS port that also speaks h2 by ALPN)
// reaches a Saddle WebSocket route with its checks, and the groupchat spec works over wss:// as over ws://.
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { after, before, test } from 'node:test'
import { Engine, type TestClient, testClient } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { makeCert } from '../packages/engine/test/tls-cert.js'

let secure: Engine
let cli: TestClient
let cert: ReturnType<typeof makeCert>

before(async () => {
  cert = makeCert()
  const app = new Saddle(import.meta.url, { name: 'wss' })
  app.route('/ws/echo', { websocket: {} }, (_was, message) => `secure: ${message}`)
  app.route('/ws/room', { websocket: { spec: 'groupchat' } }, (_was, message, room) => `${room}: ${message}`)
  secure = new Engine()
  secure.enableAccessLog(false)
  secure.enableSsl(cert.cert, cert.key)
  secure.mount('/', app)
  cli = testClient({ port: await secure.listen({ port: 0 }), https: true })
})

after(async () => {
  await cli.close()
  await secure.close(1)
  rmSync(cert.dir, { recursive: true, force: true })
})

test('wss:// echo through the TLS port', async () => {
  const ws = await cli.ws('/ws/echo')
  await ws.send('hello')
  assert.equal(String(await ws.receive()), 'secure: hello')
  await ws.close()
})

test('wss:// groupchat: a message reaches every member of the room', async () => {
  const a = await cli.ws('/ws/room?room=r1')
  const b = await cli.ws('/ws/room?room=r1')
  await a.send('hi')
  assert.equal(String(await a.receive()), 'r1: hi')
  assert.equal(String(await b.receive()), 'r1: hi')
  await a.close()
  await b.close()
})

test('wss:// handshake checks still apply: an unknown WebSocket path is refused with 404', async () => {
  await assert.rejects(cli.ws('/ws/nowhere'), (e: { status?: number }) => e.status === 404)
})
