// The status page (README "Status page and metrics") of one process: JSON by Accept and HTML otherwise,
// the request counts it reports against the requests sent, the allow list's 403, `was.status()` from a
// handler. Real engines on 127.0.0.1, real HTTP requests.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { connect as h2connect } from 'node:http2'
import { after, before, describe, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'

const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string

function quiet(): Engine {
  const e = new Engine()
  e.enableAccessLog(false)
  return e
}

function siteApp(): Saddle {
  const app = new Saddle(import.meta.url, { name: 'site' })
  app.route('/hello/<name>', { name: 'hello' }, (_was: unknown, name: string) => `hello ${name}`)
  app.route('/boom', { name: 'boom' }, () => {
    throw new Error('boom')
  })
  app.route('/status-of-was', { name: 'wasStatus' }, async (was: any) => {
    const s = await was.status()
    return { total: s.requests.total, workers: s.workers.count, version: s.version }
  })
  return app
}

describe('status page, one process', () => {
  const engine = quiet()
  let base = ''
  before(async () => {
    engine.mount('/', siteApp())
    engine.enableStatus()
    base = `http://127.0.0.1:${await engine.listen({ port: 0 })}`
  })
  after(() => engine.close(1))

  test('JSON by Accept: version, one worker, requests by status and app', async () => {
    for (let i = 0; i < 7; i++) assert.equal((await fetch(`${base}/hello/n${i}`)).status, 200)
    assert.equal((await fetch(`${base}/nothing-here`)).status, 404)
    const boom = await fetch(`${base}/boom`)
    assert.equal(boom.status, 500)
    await boom.text()
    const res = await fetch(`${base}/__status__`, { headers: { accept: 'application/json' } })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    const s = await res.json()
    assert.equal(s.version, VERSION)
    assert.equal(s.node, process.version)
    assert.ok(s.uptime > 0)
    assert.equal(s.workers.count, 1)
    assert.deepEqual(s.workers.missing, [])
    assert.equal(s.workers.list[0].pid, process.pid)
    assert.equal(s.workers.list[0].worker, 'M')
    // the status request itself is counted once its response has closed: not in its own answer
    assert.equal(s.requests.total, 9)
    assert.deepEqual(s.requests.byStatus, { 200: 7, 404: 1, 500: 1 })
    assert.deepEqual(s.requests.byApp, { site: 9 })
    // this request's connection (keep-alive) is open and it is in flight
    assert.ok(s.connections.total >= 1)
    assert.equal(s.connections.total, s.connections.http1 + s.connections.h2 + s.connections.websocket)
    assert.equal(s.inFlight, 1)
    assert.equal(s.cache.hitRate, null)
    // the next report counts the status request before it
    const again = await (await fetch(`${base}/__status__`, { headers: { accept: 'application/json' } })).json()
    assert.equal(again.requests.total, 10)
    assert.equal(again.requests.byApp['/__status__'], 1)
  })

  test('HTML for a browser', async () => {
    const res = await fetch(`${base}/__status__`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8')
    const html = await res.text()
    assert.match(html, /^<!doctype html>/)
    assert.match(html, /<h1>Skitai status<\/h1>/)
    assert.match(html, new RegExp(`<td>${VERSION.replace(/\./g, '\\.')}</td>`))
    assert.match(html, /<td>M<\/td><td>\d+<\/td>/)
    assert.match(html, /<td>site<\/td><td>\d+<\/td>/)
    // HEAD: the head only
    const head = await fetch(`${base}/__status__`, { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(await head.text(), '')
  })

  test('POST → 405 with Allow', async () => {
    const res = await fetch(`${base}/__status__`, { method: 'POST', body: 'x' })
    assert.equal(res.status, 405)
    assert.equal(res.headers.get('allow'), 'GET, HEAD')
    assert.match(await res.text(), /answers GET and HEAD/)
  })

  test('was.status() in a handler gives the same report', async () => {
    const res = await fetch(`${base}/status-of-was`)
    assert.equal(res.status, 200)
    const body = await res.json()
    assert.equal(body.workers, 1)
    assert.equal(body.version, VERSION)
    assert.ok(body.total > 10)
  })
})

describe('status page over HTTP/2', () => {
  test('an h2c session is counted as h2, its requests like any other', async () => {
    const engine = quiet()
    engine.mount('/', siteApp())
    engine.enableStatus()
    const port = await engine.listen({ port: 0 })
    const session = h2connect(`http://127.0.0.1:${port}`)
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const s = session.request({ ':path': path, accept: 'application/json' })
        let body = ''
        let status = 0
        s.setEncoding('utf8')
        s.on('response', (h) => (status = Number(h[':status'])))
        s.on('data', (d) => (body += d))
        s.on('end', () => resolve({ status, body }))
        s.on('error', reject)
      })
    try {
      for (let i = 0; i < 3; i++) assert.equal((await get(`/hello/h${i}`)).status, 200)
      const res = await get('/__status__')
      assert.equal(res.status, 200)
      const s = JSON.parse(res.body)
      assert.equal(s.connections.h2, 1)
      assert.equal(s.connections.http1, 0)
      assert.equal(s.connections.total, 1)
      assert.equal(s.requests.total, 3)
      assert.deepEqual(s.requests.byStatus, { 200: 3 })
    } finally {
      session.close()
      await engine.close(1)
    }
  })
})

describe('status page allow list', () => {
  const engine = quiet()
  let base = ''
  before(async () => {
    engine.mount('/', siteApp())
    engine.enableStatus('/__status__', { allow: ['10.20.30.40', '192.168.0.0/16'] })
    engine.enableMetrics('/__metrics__', { allow: ['fd00::/8'] })
    base = `http://127.0.0.1:${await engine.listen({ port: 0 })}`
  })
  after(() => engine.close(1))

  test('a client outside the list gets 403 naming its address', async () => {
    for (const path of ['/__status__', '/__metrics__']) {
      const res = await fetch(`${base}${path}`, { headers: { accept: 'application/json' } })
      assert.equal(res.status, 403, path)
      assert.match(await res.text(), /403 Forbidden: the (status|metrics) page is not open to 127\.0\.0\.1/)
    }
    // the app's own routes are not affected
    assert.equal((await fetch(`${base}/hello/x`)).status, 200)
  })

  test('X-Forwarded-For does not open it', async () => {
    const res = await fetch(`${base}/__status__`, { headers: { 'x-forwarded-for': '10.20.30.40' } })
    assert.equal(res.status, 403)
    await res.text()
  })

  test('bad allow entries and paths are errors at enable time', () => {
    const e = quiet()
    assert.throws(() => e.enableStatus('/__s__', { allow: ['not-an-ip'] }), /allow entry "not-an-ip" is not an IP/)
    assert.throws(() => e.enableStatus('/__s__', { allow: ['10.0.0.0/40'] }), /bad prefix length/)
    assert.throws(() => e.enableStatus('/__s__', { allow: [] }), /at least one address/)
    assert.throws(() => e.enableMetrics('metrics'), /give a path of its own/)
  })
})

describe('status page open to anyone', () => {
  test("allow: ['*'] and 'localhost'", async () => {
    for (const allow of [['*'], ['localhost']]) {
      const engine = quiet()
      engine.mount('/', siteApp())
      engine.enableStatus('/s', { allow })
      const port = await engine.listen({ port: 0 })
      const res = await fetch(`http://127.0.0.1:${port}/s`, { headers: { accept: 'application/json' } })
      assert.equal(res.status, 200, allow.join())
      assert.equal((await res.json()).workers.count, 1)
      await engine.close(1)
    }
  })
})
