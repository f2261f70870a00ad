import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import net from 'node:net'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import skitai, { Engine, readBody, TestClient } from '@skitai/engine'
import { was } from '@skitai/was'
import express from 'express'
import { Hono } from 'hono'
import { quietEngine } from './helpers.js'

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))

/** Reports what it received: method, url, content type and body. */
async function mirror(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, 10 * 1024 * 1024)
  res.writeHead(200, { 'content-type': 'application/json', 'x-txn': was.txnid() })
  res.end(
    JSON.stringify({
      method: req.method,
      url: req.url,
      type: req.headers['content-type'] ?? null,
      body: body.toString('latin1'),
    }),
  )
}

describe('in-process test client', () => {
  test('no port is opened: listen() is never called and no TCP server handle exists', async () => {
    const listen = net.Server.prototype.listen
    let listens = 0
    net.Server.prototype.listen = function (this: net.Server, ...args: any[]) {
      listens++
      return (listen as any).apply(this, args)
    }
    try {
      const cli = skitai.testClient(mirror)
      const r = await cli.get('/hello?x=1')
      assert.equal(r.status, 200)
      assert.equal(r.json().url, '/hello?x=1')
      assert.match(String(r.headers['x-txn']), /^GTID-.+\/1000$/)
      assert.equal(listens, 0)
      assert.ok(!process.getActiveResourcesInfo().includes('TCPServerWrap'))
      await cli.close()
    } finally {
      net.Server.prototype.listen = listen
    }
  })

  test('get/post/put/patch/delete/head/options with status, headers, text, json(), data', async () => {
    const cli = skitai.testClient(mirror)
    const p = await cli.post('/p', { a: 1 })
    assert.deepEqual(p.json(), { method: 'POST', url: '/p', type: 'application/json', body: '{"a":1}' })
    assert.deepEqual(p.data.body, '{"a":1}')
    const f = await cli.post('/f', { a: 1, b: ['x', 'y'] }, { form: true })
    assert.equal(f.json().body, 'a=1&b=x&b=y')
    assert.equal(f.json().type, 'application/x-www-form-urlencoded')
    assert.equal((await cli.put('/u', 'raw text')).json().body, 'raw text')
    assert.equal((await cli.patch('/pa', { z: true })).json().method, 'PATCH')
    assert.equal((await cli.delete('/d')).json().method, 'DELETE')
    assert.equal((await cli.options('/o')).json().method, 'OPTIONS')
    const h = await cli.head('/h')
    assert.equal(h.status, 200)
    assert.equal(h.text, '')
    const custom = await cli.request('REPORT', '/r', { headers: { 'X-A': 'b' }, body: Buffer.from([1, 2]) })
    assert.equal(custom.json().body, '\x01\x02')
  })

  test('upload sends multipart with files given as paths, Buffers and objects', async () => {
    const cli = skitai.testClient(mirror)
    const r = await cli.upload('/up', {
      title: 'hello',
      file: `${fixtures}site/file.txt`,
      blob: Buffer.from('buffer-bytes'),
      named: { content: 'xyz', filename: 'n.csv' },
    })
    const got = r.json()
    assert.match(got.type, /^multipart\/form-data; boundary=/)
    assert.match(got.body, /name="title"\r\n\r\nhello\r\n/)
    assert.match(got.body, /name="file"; filename="file.txt"\r\nContent-Type: text\/plain\r\n\r\nstatic file\n\r\n/)
    assert.match(got.body, /name="blob"; filename="blob"[\s\S]*buffer-bytes/)
    assert.match(got.body, /name="named"; filename="n.csv"\r\nContent-Type: text\/csv\r\n\r\nxyz/)
  })

  test('targets: an Express app, a Hono app, an Engine with several mounts', async () => {
    const ex = express()
    ex.get('/e', (_req, res) => {
      res.json({ express: true })
    })
    assert.deepEqual((await skitai.testClient(ex).get('/e')).data, { express: true })
    const h = new Hono()
    h.get('/h', (c) => c.text('hono'))
    const hr = await skitai.testClient(h).get('/h')
    assert.equal(hr.data, 'hono')
    const engine = quietEngine()
    engine.mount('/a', mirror)
    engine.mount('/static', `${fixtures}site`)
    const cli = engine.testClient()
    assert.equal((await cli.get('/a/x')).json().url, '/x')
    assert.equal((await cli.get('/static/file.txt')).text, 'static file\n')
    assert.equal((await cli.get('/nothing')).status, 404)
  })
})

describe('test client over sockets', () => {
  test('testClient({ port }) talks to a running server', async () => {
    const engine = quietEngine()
    engine.mount('/', mirror)
    const port = await engine.listen({ port: 0 })
    const cli = skitai.testClient({ port })
    try {
      assert.ok(cli instanceof TestClient)
      const r = await cli.post('/x', { n: 2 })
      assert.deepEqual(r.json(), { method: 'POST', url: '/x', type: 'application/json', body: '{"n":2}' })
      const up = await cli.upload('/u', { f: Buffer.from('abc') })
      assert.match(up.json().body, /abc/)
    } finally {
      await cli.close()
      await engine.close()
    }
  })

  test("testClient('./serve.ts', { port }) launches the script with the skitai command and stops it on close()", async () => {
    const cli = new Engine({ root: fixtures }).testClient('serve/serve.ts', { args: ['--qtran', '--greeting', 'hi'] })
    await cli.ready()
    const port = cli.port as number
    try {
      const r = await cli.get('/info')
      assert.equal(r.status, 200)
      const info = r.json()
      assert.equal(info.path, '/info')
      assert.deepEqual(info.options, { qtran: true, greeting: 'hi' })
      assert.equal(info.cwd, `${fixtures}serve`)
      assert.equal(info.abspath, `${fixtures}serve/data`)
      const echo = await cli.post('/echo', 'plain', { headers: { 'content-type': 'text/plain' } })
      assert.equal(echo.data, 'plain')
    } finally {
      await cli.close()
    }
    assert.equal(cli.child?.exitCode, 0)
    // nothing listens there any more
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => reject(new Error('still listening')))
      s.once('error', () => resolve())
    })
  })

  test('a script that fails to start is reported with its output', async () => {
    const cli = new Engine({ root: fixtures }).testClient('serve/serve.ts', { args: ['--no-such-option'] })
    await assert.rejects(cli.ready(), /exited \(code 2\)[\s\S]*unknown option: --no-such-option/)
    await cli.close()
  })
})

test('launching on a port that is already taken is refused instead of talking to the wrong server', async () => {
  const engine = quietEngine()
  engine.mount('/', mirror)
  const port = await engine.listen({ port: 0 })
  const cli = new Engine({ root: fixtures }).testClient('serve/serve.ts', { port })
  try {
    await assert.rejects(cli.ready(), new RegExp(`port ${port} is already in use`))
  } finally {
    await cli.close()
    await engine.close()
  }
})
