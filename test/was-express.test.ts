// `import { was } from '@skitai/was'` inside an Express app (and a Hono app) mounted on the engine.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { PROTO_HTTP, registerAlias, unregisterAlias, was } from '@skitai/was'
import express from 'express'
import { Hono } from 'hono'
import { request } from 'undici'

const backends: Server[] = []
let engine: Engine
let port: number
let cancelled = 0
let hangReceived = 0

async function backend(name: string): Promise<number> {
  const s = createServer((req, res) => {
    if (req.url === '/hang') {
      hangReceived++
      res.on('close', () => {
        if (!res.writableEnded) cancelled++
      })
      return
    }
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ name, gtxn: req.headers['x-gtxn-id'], ltxn: req.headers['x-ltxn-id'] }))
    }, 20)
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  backends.push(s)
  return (s.address() as AddressInfo).port
}

before(async () => {
  const ports = await Promise.all(['a', 'b', 'c'].map(backend))
  registerAlias(
    '@exp',
    PROTO_HTTP,
    ports.map((p) => `127.0.0.1:${p}`),
  )
  const app = express()
  app.get('/search', async (_req, res) => {
    const set = await was.get.map('@exp/q').getswait(2)
    res.json({
      names: set.data.map((d: any) => d.name),
      codes: set.status_code,
      ltxn: set.data.map((d: any) => d.ltxn),
    })
  })
  app.get('/one', async (_req, res, next) => {
    try {
      res.json(await was.get('@exp/q').fetch(2))
    } catch (e) {
      next(e)
    }
  })
  app.get('/fire-and-forget', async (_req, res) => {
    const seen = hangReceived
    was.get('@exp/hang')
    // Answer once the backend has the request, so its cancellation is visible there.
    for (let i = 0; i < 100 && hangReceived === seen; i++) await new Promise((r) => setTimeout(r, 10))
    res.json({ fired: true })
  })
  const hono = new Hono()
  hono.get('/h', async (c) => c.json((await was.get.lb('@exp/q').getwait(2)).data as object))
  engine = new Engine()
  engine.mount('/api', app)
  engine.mount('/hono', hono)
  port = await engine.listen({ port: 0, address: '127.0.0.1' })
})

after(async () => {
  await engine.close(1)
  await unregisterAlias('@exp')
  for (const s of backends) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
})

test('an Express handler mounted on the engine calls was.get.map through `import { was }`', async () => {
  const r = await request(`http://127.0.0.1:${port}/api/search`, {
    headers: { 'x-gtxn-id': 'from-caller', 'x-ltxn-id': '1000' },
  })
  assert.equal(r.statusCode, 200)
  const d = (await r.body.json()) as any
  assert.deepEqual(d.names, ['a', 'b', 'c'])
  assert.deepEqual(d.codes, [200, 200, 200])
  assert.deepEqual(
    d.ltxn.sort(),
    ['2001', '2002', '2003'],
    'ids continue from the caller: 1000 + 1000, then +1, +2, +3',
  )
  const one = (await (await request(`http://127.0.0.1:${port}/api/one`)).body.json()) as any
  assert.ok(['a', 'b', 'c'].includes(one.name))
})

test('a Hono app mounted on the engine gets the same was', async () => {
  const r = await request(`http://127.0.0.1:${port}/hono/h`)
  assert.equal(r.statusCode, 200)
  assert.ok(['a', 'b', 'c'].includes(((await r.body.json()) as any).name))
})

test('calls not collected by the end of the request are cancelled', async () => {
  const before = cancelled
  const r = await request(`http://127.0.0.1:${port}/api/fire-and-forget`)
  assert.deepEqual(await r.body.json(), { fired: true })
  for (let i = 0; i < 50 && cancelled === before; i++) await new Promise((res) => setTimeout(res, 20))
  assert.equal(cancelled, before + 1)
})

test('outside a request `was` throws a clear error', () => {
  assert.throws(() => was.get('@exp/q'), /only available while a request is being handled/)
})
