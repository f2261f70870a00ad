// `task.fetch()` inside a Saddle handler: a failed backend becomes the current request's status (was README "Collecting: `Task`"):
// 502 when the backend failed (refused, or answered non-2xx), 504 when it timed out.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { PROTO_HTTP, registerAlias, unregisterAlias } from '@skitai/was'
import { request } from 'undici'

let engine: Engine
let port: number
let backend: Server

before(async () => {
  backend = createServer((req, res) => {
    if (req.url === '/hang') return
    if (req.url === '/boom') {
      res.writeHead(500, { 'content-type': 'application/json' })
      return void res.end('{"error":"x"}')
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"n":1}')
  })
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()))
  const up = (backend.address() as AddressInfo).port
  // A port nothing listens on: connections are refused.
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()))
  const deadPort = (probe.address() as AddressInfo).port
  await new Promise((r) => probe.close(r))
  registerAlias('@fdown', PROTO_HTTP, `127.0.0.1:${deadPort}`, { probeInterval: 30 })
  registerAlias('@fup', PROTO_HTTP, `127.0.0.1:${up}`)
  const app = new Saddle(import.meta.url)
  app.route('/down', async (was: any) => JSON.stringify(await was.get('@fdown/x').fetch(5)))
  app.route('/boom', async (was: any) => JSON.stringify(await was.get('@fup/boom').fetch(5)))
  app.route('/slow', async (was: any) => JSON.stringify(await was.get('@fup/hang').fetch(0.2)))
  app.route('/ok', async (was: any) => JSON.stringify(await was.get('@fup/x').fetch(5)))
  engine = new Engine()
  engine.mount('/', app)
  port = await engine.listen({ port: 0, address: '127.0.0.1' })
})

after(async () => {
  await engine.close(1)
  await unregisterAlias('@fdown')
  await unregisterAlias('@fup')
  backend.closeAllConnections()
  await new Promise((r) => backend.close(r))
})

async function get(path: string): Promise<{ status: number; text: string }> {
  const r = await request(`http://127.0.0.1:${port}${path}`)
  return { status: r.statusCode, text: await r.body.text() }
}

test('a Saddle handler doing `await was.get(...).fetch()` answers 502 / 504 for a failed backend', async () => {
  assert.deepEqual(await get('/ok'), { status: 200, text: '{"n":1}' })
  const down = await get('/down')
  assert.equal(down.status, 502, down.text)
  const boom = await get('/boom')
  assert.equal(boom.status, 502, boom.text)
  const slow = await get('/slow')
  assert.equal(slow.status, 504, slow.text)
  // The server goes on answering.
  assert.equal((await get('/ok')).status, 200)
})
