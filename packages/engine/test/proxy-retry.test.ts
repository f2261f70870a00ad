// Retry only when safe: a member that drops the connection after receiving a POST is marked down, but the
// POST is not sent again to another member (it may have been acted on) — through the '@alias' proxy and
// through was.post; a GET dropped the same way is retried elsewhere.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { PROTO_HTTP, Was, getAlias, registerAlias, unregisterAlias } from '@skitai/was'
import { request } from 'undici'

let dropper: Server
let good: Server
const seen = { dropper: [] as string[], good: [] as string[] }
let engine: Engine
let port: number

async function listen(s: Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  return (s.address() as AddressInfo).port
}

before(async () => {
  dropper = createServer((req) => {
    seen.dropper.push(`${req.method} ${req.url}`)
    req.socket.destroy()
  })
  good = createServer((req, res) => {
    seen.good.push(`${req.method} ${req.url}`)
    if (req.url === '/fail') {
      res.writeHead(503, { 'retry-after': '1' })
      return void res.end('busy')
    }
    req.resume()
    req.on('end', () => res.end('ok'))
  })
  const d = await listen(dropper)
  const g = await listen(good)
  // The dropping member weighs more, so it is picked first.
  registerAlias('@r5', PROTO_HTTP, [`127.0.0.1:${g}`, `127.0.0.1:${d}`], { probeInterval: 30 })
  for (const n of ['@rp1', '@rp2', '@rw1', '@rw2'])
    registerAlias(n, PROTO_HTTP, [`127.0.0.1:${d} 5`, `127.0.0.1:${g}`], { probeInterval: 30 })
  engine = new Engine()
  engine.mount('/p1', '@rp1')
  engine.mount('/p2', '@rp2')
  engine.mount('/p5', '@r5')
  port = await engine.listen({ port: 0, address: '127.0.0.1' })
})

after(async () => {
  await engine.close(1)
  for (const n of ['@rp1', '@rp2', '@rw1', '@rw2', '@r5']) await unregisterAlias(n)
  for (const s of [dropper, good]) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
})

test('proxy: a dropped POST is not replayed on another member (502); a dropped GET is', async () => {
  seen.dropper.length = 0
  seen.good.length = 0
  const post = await request(`http://127.0.0.1:${port}/p1/pay`, { method: 'POST', headers: { 'content-length': '0' } })
  await post.body.text()
  assert.equal(post.statusCode, 502)
  assert.deepEqual(seen.dropper, ['POST /pay'])
  assert.deepEqual(seen.good, [], 'the POST was sent a second time')
  const get = await request(`http://127.0.0.1:${port}/p2/page`)
  assert.equal(await get.body.text(), 'ok')
  assert.deepEqual(seen.good, ['GET /page'])
})

test('was: a dropped post is not replayed on another member (status 2); a dropped get is', async () => {
  seen.dropper.length = 0
  seen.good.length = 0
  const w = new Was('g', 1000)
  const r = await w.post('@rw1/pay', { amount: 1 }).getwait(5)
  assert.equal(r.status, 2, r.reason)
  assert.deepEqual(seen.dropper, ['POST /pay'])
  assert.deepEqual(seen.good, [], 'the POST was sent a second time')
  const g = await w.get('@rw2/page').getwait(5)
  assert.equal(g.status, 3, g.reason)
  assert.deepEqual(seen.good, ['GET /page'])
  w.close()
})

test('proxy: a member answering 5xx is passed through as is, not marked down and not retried', async () => {
  seen.dropper.length = 0
  seen.good.length = 0
  const r = await request(`http://127.0.0.1:${port}/p5/fail`)
  assert.equal(r.statusCode, 503)
  assert.equal(r.headers['retry-after'], '1')
  assert.equal(await r.body.text(), 'busy')
  assert.deepEqual(seen.good, ['GET /fail'])
  assert.deepEqual(seen.dropper, [], 'a 5xx answer was retried on another member')
  assert.equal(getAlias('@r5')?.members[0]?.down, false)
})
