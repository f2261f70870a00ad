// Issue 2's must-show: a real Express app, a real Hono app and a static directory mounted on one engine,
// each reached through real sockets.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Engine } from '@skitai/engine'
import express from 'express'
import { Hono } from 'hono'
import { Pool } from 'undici'

const staticDir = fileURLToPath(new URL('../examples/hello/static', import.meta.url))
const engine = new Engine()
let pool: Pool

before(async () => {
  const shop = express()
  shop.get('/items/:id', (req, res) => {
    res.json({ from: 'express', id: req.params.id, baseUrl: req.baseUrl, originalUrl: req.originalUrl })
  })
  const hono = new Hono()
  hono.get('/hello/:name', (c) => c.json({ from: 'hono', name: c.req.param('name'), path: c.req.path }))
  engine.enableAccessLog(false)
  engine.mount('/shop', shop)
  engine.mount('/hono', hono)
  engine.mount('/', staticDir)
  const port = await engine.listen({ port: 0 })
  pool = new Pool(`http://127.0.0.1:${port}`)
})

after(async () => {
  await pool.close()
  await engine.close()
})

async function get(path: string, headers: Record<string, string> = {}) {
  const r = await pool.request({ method: 'GET', path, headers })
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() }
}

test('Express under /shop', async () => {
  const r = await get('/shop/items/42')
  assert.equal(r.status, 200)
  assert.deepEqual(JSON.parse(r.text), { from: 'express', id: '42', baseUrl: '/shop', originalUrl: '/shop/items/42' })
})

test('Hono under /hono', async () => {
  const r = await get('/hono/hello/kim')
  assert.equal(r.status, 200)
  assert.deepEqual(JSON.parse(r.text), { from: 'hono', name: 'kim', path: '/hello/kim' })
})

test('static files at /, with ETag revalidation', async () => {
  const r = await get('/')
  assert.equal(r.status, 200)
  assert.match(String(r.headers['content-type']), /^text\/html/)
  assert.match(r.text, /Hello from a static file/)
  const again = await get('/index.html', { 'if-none-match': String(r.headers.etag) })
  assert.equal(again.status, 304)
  assert.equal((await get('/missing.txt')).status, 404)
})

test('all three side by side on one keep-alive connection pool, interleaved', async () => {
  const results = await Promise.all([
    get('/shop/items/1'),
    get('/hono/hello/a'),
    get('/index.html'),
    get('/shop/items/2'),
  ])
  assert.deepEqual(
    results.map((r) => r.status),
    [200, 200, 200, 200],
  )
  assert.equal(JSON.parse(results[3]?.text ?? '').id, '2')
})
