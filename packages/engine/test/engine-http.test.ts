import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { readBody } from '@skitai/engine'
import { quietEngine, raw, statuses } from './helpers.js'

const run = promisify(execFile)

/** Echoes method, url and body; /slow/N answers after N ms. */
async function echo(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const m = /^\/slow\/(\d+)/.exec(req.url ?? '')
  if (m) await new Promise((r) => setTimeout(r, Number(m[1])))
  const body = await readBody(req, 10 * 1024 * 1024)
  const text = `${req.method} ${req.url} ${body.length} ${body.subarray(0, 40).toString()}`
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

describe('HTTP/1.1 on the wire', () => {
  const engine = quietEngine()
  let port = 0
  before(async () => {
    engine.mount('/', echo)
    port = await engine.listen({ port: 0 })
  })
  after(() => engine.close())

  test('keep-alive: three requests on one connection', async () => {
    const req = (p: string) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`
    const { text, closed } = await raw(port, [req('/a'), req('/b'), req('/c')], {
      gapMs: 50,
      until: (t) => t.includes('GET /c 0'),
    })
    assert.deepEqual(statuses(text), [200, 200, 200])
    assert.ok(text.indexOf('GET /a') < text.indexOf('GET /b') && text.indexOf('GET /b') < text.indexOf('GET /c'))
    assert.equal(closed, false, 'the connection stayed open')
    assert.match(text, /Keep-Alive: timeout=30/)
  })

  test('pipelining: requests sent at once are answered in order even when the first is slowest', async () => {
    const pipelined =
      'GET /slow/300 HTTP/1.1\r\nHost: x\r\n\r\n' +
      'POST /slow/10 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' +
      'GET /fast HTTP/1.1\r\nHost: x\r\n\r\n'
    const { text } = await raw(port, pipelined, { until: (t) => t.includes('GET /fast 0') })
    const order = [...text.matchAll(/(GET|POST) (\/\S+) \d+/g)].map((m) => m[2])
    assert.deepEqual(order, ['/slow/300', '/slow/10', '/fast'])
    assert.match(text, /POST \/slow\/10 5 hello/)
  })

  test('HTTP/1.0: closed after the response unless the client asks for keep-alive', async () => {
    const plain = await raw(port, 'GET /old HTTP/1.0\r\n\r\n')
    assert.match(plain.text, /^HTTP\/1\.1 200 OK[\s\S]*GET \/old 0/)
    assert.equal(plain.closed, true)
    const kept = await raw(port, ['GET /k1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', 'GET /k2 HTTP/1.0\r\n\r\n'], {
      gapMs: 100,
    })
    assert.deepEqual(statuses(kept.text), [200, 200])
    assert.match(kept.text, /Connection: keep-alive[\s\S]*GET \/k1 0[\s\S]*GET \/k2 0/)
    assert.equal(kept.closed, true, 'the second request did not ask to keep the connection')
  })

  test('HEAD gets the headers of GET and no body', async () => {
    const { text } = await raw(port, 'HEAD /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    assert.match(text, /^HTTP\/1\.1 200 OK/)
    assert.match(text, /Content-Length: \d+/i)
    assert.ok(text.endsWith('\r\n\r\n'), 'nothing after the head')
  })

  test('absolute-form targets are served by path; OPTIONS * is answered; other odd targets get 400', async () => {
    const a = await raw(
      port,
      'GET http://example.com/abs?q=1 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n',
    )
    assert.match(a.text, /GET \/abs\?q=1 0/)
    const o = await raw(port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    assert.match(o.text, /^HTTP\/1\.1 204 [\s\S]*Allow: GET, HEAD/)
    const bad = await raw(port, 'GET foo HTTP/1.1\r\nHost: x\r\n\r\n')
    assert.match(bad.text, /^HTTP\/1\.1 400 /)
    assert.equal(bad.closed, true)
  })

  test('chunked request body is read whole', async () => {
    const { text } = await raw(
      port,
      [
        'POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
        '5\r\nhello\r\n',
        '6\r\n world\r\n',
        '0\r\n\r\n',
      ],
      { gapMs: 30 },
    )
    assert.match(text, /POST \/chunked 11 hello world/)
  })

  test('Expect: 100-continue under the limit: 100 first, then the answer (raw socket)', async () => {
    const head = 'POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n'
    const { text } = await raw(port, [head, 'data'], { gapMs: 200, until: (t) => t.includes('POST /up 4') })
    assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/)
  })

  test('Expect: 100-continue with curl', async () => {
    const { stdout, stderr } = await run('curl', [
      '-sv',
      '-H',
      'Expect: 100-continue',
      '--data-binary',
      'x'.repeat(2000),
      `http://127.0.0.1:${port}/curl`,
    ])
    assert.match(stderr, /HTTP\/1\.1 100 Continue/)
    assert.equal(stdout, `POST /curl 2000 ${'x'.repeat(40)}`)
  })
})

describe('Upgrade requests', () => {
  test('a Skitai app with upgrade() takes a WebSocket handshake; an Express-style listener answers it as plain HTTP', async () => {
    const { WebSocketServer, WebSocket } = await import('ws')
    const { SKITAI_APP } = await import('@skitai/engine')
    const wss = new WebSocketServer({ noServer: true })
    const seen: string[] = []
    const app = {
      [SKITAI_APP]: true as const,
      mount() {},
      handle(_req: IncomingMessage, res: ServerResponse) {
        res.end('http')
      },
      upgrade(req: IncomingMessage, socket: any, head: Buffer, ctx: any) {
        seen.push(`${ctx.mountPoint} ${ctx.path} ${ctx.search} ${ctx.ltxnid}`)
        wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(`echo ${m}`)))
        return true
      },
    }
    const engine = quietEngine()
    engine.mount('/ws', app)
    engine.mount('/', (req: IncomingMessage, res: ServerResponse) => res.end(`plain ${req.headers.upgrade}`))
    const port = await engine.listen({ port: 0 })
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/chat?room=1`)
      const reply = await new Promise<string>((resolve, reject) => {
        ws.on('open', () => ws.send('hi'))
        ws.on('message', (m) => resolve(String(m)))
        ws.on('error', reject)
      })
      assert.equal(reply, 'echo hi')
      assert.deepEqual(seen, ['/ws /chat room=1 1000'])
      ws.close()
      const { text, closed } = await raw(
        port,
        'GET /page HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n',
      )
      assert.match(text, /^HTTP\/1\.1 200 OK[\s\S]*Connection: close[\s\S]*plain h2c$/)
      assert.equal(closed, true)
      for (let i = 0; i < 50 && engine.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 20))
      assert.equal(engine.inFlight, 0, 'the response closed with its socket')
    } finally {
      wss.close()
      await engine.close()
    }
  })
})

test('close() cuts upgraded (WebSocket) connections at the grace deadline instead of waiting for them', async () => {
  const { WebSocketServer, WebSocket } = await import('ws')
  const { SKITAI_APP } = await import('@skitai/engine')
  const wss = new WebSocketServer({ noServer: true })
  const engine = quietEngine()
  engine.mount('/', {
    [SKITAI_APP]: true as const,
    mount() {},
    handle(_req: IncomingMessage, res: ServerResponse) {
      res.end()
    },
    upgrade(req: IncomingMessage, socket: any, head: Buffer) {
      wss.handleUpgrade(req, socket, head, () => {})
      return true
    },
  })
  const port = await engine.listen({ port: 0 })
  const ws = new WebSocket(`ws://127.0.0.1:${port}/live`)
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const closed = new Promise((resolve) => ws.once('close', resolve))
  const t0 = Date.now()
  await engine.close(0.3)
  assert.ok(Date.now() - t0 < 5000, `close took ${Date.now() - t0} ms`)
  await closed
  wss.close()
})
