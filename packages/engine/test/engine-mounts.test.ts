import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Engine, SKITAI_APP, type MountInfo, type RequestContext, type SkitaiApp } from '@skitai/engine'
import { was } from '@skitai/was'
import express from 'express'
import { Hono } from 'hono'
import { Pool } from 'undici'
import { quietEngine } from './helpers.js'

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))

function tag(name: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const r = req as IncomingMessage & { baseUrl?: string; originalUrl?: string }
    res.end(`${name} url=${req.url} base=${r.baseUrl ?? ''} orig=${r.originalUrl ?? ''}`)
  }
}

async function get(pool: Pool, path: string, headers: Record<string, string> = {}) {
  const r = await pool.request({ method: 'GET', path, headers })
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() }
}

describe('mount table', () => {
  const engine = quietEngine()
  let pool: Pool
  before(async () => {
    engine.mount('/', tag('root'))
    engine.mount('/v1', tag('v1'))
    engine.mount('/v1/admin/', tag('admin'))
    engine.mount('/site', `${fixtures}site`)
    engine.mount('/site', tag('site-app'))
    engine.mount('/files', `${fixtures}site`)
    engine.mount('/mod', `${fixtures}module-app.ts`)
    engine.mount('/named', `${fixtures}module-app.ts#named`)
    engine.mount('/appexport', `${fixtures}module-app-export.ts`)
    engine.mount('/', tag('site1'), { host: 'www.site1.com' })
    engine.mount('/', tag('site2'), { host: ['a.site2.com', 'b.site2.com'] })
    engine.mount('/', tag('wild'), { host: '.site3.com' })
    engine.mount('/deep', tag('wild-deep'), { host: '.site3.com' })
    const port = await engine.listen({ port: 0 })
    pool = new Pool(`http://127.0.0.1:${port}`)
  })
  after(async () => {
    await pool.close()
    await engine.close()
  })

  test('the longest mount point wins, on whole path segments', async () => {
    assert.match((await get(pool, '/v1/x')).text, /^v1 url=\/x /)
    assert.match((await get(pool, '/v1/admin/users')).text, /^admin url=\/users /)
    assert.match((await get(pool, '/v1admin')).text, /^root url=\/v1admin /)
    assert.match((await get(pool, '/other?q=1')).text, /^root url=\/other\?q=1 /)
  })

  test('the mount point is stripped from req.url and kept in baseUrl/originalUrl', async () => {
    assert.equal((await get(pool, '/v1/a/b?x=1')).text, 'v1 url=/a/b?x=1 base=/v1 orig=/v1/a/b?x=1')
    assert.equal((await get(pool, '/v1')).text, 'v1 url=/ base=/v1 orig=/v1')
    assert.equal((await get(pool, '/v1?x=2')).text, 'v1 url=/?x=2 base=/v1 orig=/v1?x=2')
  })

  test('static before app at the same point: a file is served, otherwise the app answers', async () => {
    const file = await get(pool, '/site/file.txt')
    assert.equal(file.status, 200)
    assert.equal(file.text, 'static file\n')
    assert.match((await get(pool, '/site/sub/a.txt')).text, /in sub/)
    assert.match((await get(pool, '/site/nothing-here')).text, /^site-app url=\/nothing-here base=\/site/)
  })

  test('a static-only mount answers 404 for a missing file', async () => {
    assert.equal((await get(pool, '/files/file.txt')).text, 'static file\n')
    assert.equal((await get(pool, '/files/missing.txt')).status, 404)
  })

  test('module path targets: default export, #name, export app', async () => {
    assert.equal((await get(pool, '/mod/x')).text, 'module default /x')
    assert.equal((await get(pool, '/named/y')).text, 'module named /y')
    assert.equal((await get(pool, '/appexport/z')).text, 'module app /z')
  })

  test('virtual hosts: exact, list, leading-dot wildcard, default', async () => {
    assert.match((await get(pool, '/', { host: 'www.site1.com' })).text, /^site1 /)
    assert.match((await get(pool, '/', { host: 'WWW.SITE1.COM:8080' })).text, /^site1 /)
    assert.match((await get(pool, '/', { host: 'a.site2.com' })).text, /^site2 /)
    assert.match((await get(pool, '/', { host: 'b.site2.com' })).text, /^site2 /)
    assert.match((await get(pool, '/', { host: 'x.y.site3.com' })).text, /^wild /)
    assert.match((await get(pool, '/', { host: 'site3.com' })).text, /^wild /)
    assert.match((await get(pool, '/deep/1', { host: 'api.site3.com' })).text, /^wild-deep url=\/1 /)
    assert.match((await get(pool, '/', { host: 'unknown.example' })).text, /^root /)
    assert.match((await get(pool, '/', { host: 'notsite3.com' })).text, /^root /)
    // a virtual host only serves its own mounts
    assert.match((await get(pool, '/v1/x', { host: 'www.site1.com' })).text, /^site1 url=\/v1\/x/)
  })

  test('mount errors are clear', () => {
    const e = new Engine()
    assert.throws(() => e.mount('/x', './no/such/dir'), /does not exist/)
    assert.throws(() => e.mount('x', tag('a')), /must start with '\/'/)
    assert.throws(() => e.mount('/', 42 as any), /cannot mount/)
    e.mount('/a', tag('a'))
    assert.throws(() => e.mount('/a/', tag('b')), /already mounted/)
  })

  test('a module without the named export fails at listen() with a clear error', async () => {
    const e = quietEngine()
    e.mount('/', `${fixtures}module-app.ts#nope`)
    await assert.rejects(e.listen({ port: 0 }), /has no export 'nope'/)
    await e.close()
  })
})

describe('framework apps', () => {
  test('a real Express 5 app under /api sees req.url, baseUrl and originalUrl as with app.use', async () => {
    const api = express()
    api.set('etag', false)
    const users = express.Router()
    users.get('/:id', (req, res) => {
      res.json({ id: req.params.id, url: req.url, baseUrl: req.baseUrl, originalUrl: req.originalUrl, path: req.path })
    })
    api.use('/users', users)
    api.get('/', (req, res) => {
      res.json({ root: true, baseUrl: req.baseUrl, originalUrl: req.originalUrl, query: req.query })
    })
    api.post('/echo', express.json(), (req, res) => {
      res.json({ got: req.body })
    })
    const engine = quietEngine()
    engine.mount('/api', api)
    const port = await engine.listen({ port: 0 })
    const pool = new Pool(`http://127.0.0.1:${port}`)
    try {
      const u = JSON.parse((await get(pool, '/api/users/7?x=1')).text)
      assert.deepEqual(u, {
        id: '7',
        url: '/7?x=1',
        baseUrl: '/api/users',
        originalUrl: '/api/users/7?x=1',
        path: '/7',
      })
      const root = JSON.parse((await get(pool, '/api?k=v')).text)
      assert.deepEqual(root, { root: true, baseUrl: '/api', originalUrl: '/api?k=v', query: { k: 'v' } })
      const r = await pool.request({
        method: 'POST',
        path: '/api/echo',
        headers: { 'content-type': 'application/json' },
        body: '{"a":[1,2]}',
      })
      assert.deepEqual(await r.body.json(), { got: { a: [1, 2] } })
      assert.equal((await get(pool, '/api/missing')).status, 404)
    } finally {
      await pool.close()
      await engine.close()
    }
  })

  test('a real Hono app (fetch style) under /hono, with `was` from AsyncLocalStorage', async () => {
    const app = new Hono()
    app.get('/', (c) => c.text('hono root'))
    app.get('/hello/:name', (c) => c.json({ hello: c.req.param('name'), q: c.req.query('q'), txn: was.txnid() }))
    app.post('/echo', async (c) => c.json(await c.req.json()))
    app.get('/boom', () => {
      throw new Error('hono handler failure')
    })
    const engine = quietEngine()
    engine.mount('/hono', app)
    const port = await engine.listen({ port: 0 })
    const pool = new Pool(`http://127.0.0.1:${port}`)
    try {
      assert.equal((await get(pool, '/hono')).text, 'hono root')
      const h = JSON.parse((await get(pool, '/hono/hello/ann?q=2', { 'x-gtxn-id': 'G1', 'x-ltxn-id': '1001' })).text)
      assert.deepEqual(h, { hello: 'ann', q: '2', txn: 'G1/2001' })
      const r = await pool.request({
        method: 'POST',
        path: '/hono/echo',
        body: '{"n":1}',
        headers: { 'content-type': 'application/json' },
      })
      assert.deepEqual(await r.body.json(), { n: 1 })
      // Hono answers its own errors (500 from its default onError)
      assert.equal((await get(pool, '/hono/boom')).status, 500)
    } finally {
      await pool.close()
      await engine.close()
    }
  })

  test('a fetch handler that throws gets the engine error page', async () => {
    const engine = quietEngine()
    engine.mount('/', {
      fetch(req: Request) {
        if (req.url.endsWith('/bad')) throw new Error('sync failure')
        return Promise.reject(new Error('async failure'))
      },
    })
    const port = await engine.listen({ port: 0 })
    const pool = new Pool(`http://127.0.0.1:${port}`)
    try {
      const a = await get(pool, '/bad', { accept: 'application/json' })
      assert.equal(a.status, 500)
      assert.deepEqual(JSON.parse(a.text), { code: 500, message: 'Internal Server Error' })
      const b = await get(pool, '/x')
      assert.equal(b.status, 500)
      assert.match(b.text, /<h1>500 Internal Server Error<\/h1>/)
    } finally {
      await pool.close()
      await engine.close()
    }
  })

  test('a Skitai app gets mount(), a RequestContext per request and unmount() on close', async () => {
    const calls: string[] = []
    const seen: RequestContext[] = []
    const app: SkitaiApp = {
      [SKITAI_APP]: true,
      name: 'demo',
      mount(info: MountInfo) {
        calls.push(`mount ${info.point} ${info.hosts} ${info.engine.mountPointOf(app)}`)
      },
      handle(_req, res, ctx) {
        seen.push(ctx)
        res.end(`${ctx.mountPoint}|${ctx.path}|${ctx.search}|${ctx.ltxnid}`)
      },
      unmount() {
        calls.push('unmount')
      },
    }
    const engine = quietEngine()
    engine.mount('/rpc2', app)
    const port = await engine.listen({ port: 0 })
    const pool = new Pool(`http://127.0.0.1:${port}`)
    try {
      assert.deepEqual(calls, ['mount /rpc2 null /rpc2'])
      assert.equal(engine.apps.demo, app)
      assert.equal((await get(pool, '/rpc2/add?a=1')).text, '/rpc2|/add|a=1|1000')
      assert.equal((await get(pool, '/rpc2')).text, '/rpc2|||1000')
      assert.equal((await get(pool, '/rpc2/x', { 'x-ltxn-id': '2001' })).text, '/rpc2|/x||3001')
      assert.equal(seen[0]?.constructor, seen[1]?.constructor)
      assert.equal(seen[0]?.maxBodySize, engine.pref().maxClientBodySize)
    } finally {
      await pool.close()
      await engine.close()
    }
    assert.deepEqual(calls.at(-1), 'unmount')
  })
})
