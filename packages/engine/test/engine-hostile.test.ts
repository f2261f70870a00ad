import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { quietEngine, raw, sleep, statuses } from './helpers.js'

/** Hostile and odd input on the wire: each case gets its status and the server keeps serving. */
describe('hostile input', () => {
  const engine = quietEngine()
  let port = 0
  before(async () => {
    engine.setHeadersTimeout(3)
    engine.mount('/', (req: IncomingMessage, res: ServerResponse) => {
      const body = `${req.method} ${req.url}`
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
    const { default: express } = await import('express')
    const ex = express()
    ex.get('/item/:id', (req, res) => {
      res.send(`item ${req.params.id}`)
    })
    engine.mount('/ex', ex)
    port = await engine.listen({ port: 0 })
  })
  after(() => engine.close())

  const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`

  async function stillServing(): Promise<void> {
    const r = await raw(port, get('/alive'))
    assert.deepEqual(statuses(r.text), [200])
  }

  test('slowloris: a client dribbling its head one byte at a time does not block others, and gets 408', async () => {
    const slow = connect(port, '127.0.0.1')
    let slowText = ''
    let slowClosed = false
    slow.on('data', (d) => {
      slowText += d.toString('latin1')
    })
    slow.on('error', () => {})
    const closed = new Promise<void>((r) =>
      slow.on('close', () => {
        slowClosed = true
        r()
      }),
    )
    await new Promise<void>((r) => slow.on('connect', () => r()))
    const head = 'GET /slow HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n'
    let i = 0
    const drip = setInterval(() => {
      if (slow.destroyed || i >= head.length - 4) return
      slow.write(head[i++] as string)
    }, 100)
    try {
      // while the slow head is being dribbled, other clients are answered at once, many times over
      for (let n = 0; n < 10; n++) {
        const r = await raw(port, get(`/other/${n}`), { ms: 2000 })
        assert.deepEqual(statuses(r.text), [200], `request ${n} while the slow client dribbles`)
        await sleep(50)
      }
      assert.equal(slowClosed, false, 'the slow client is still within its headers timeout')
      await Promise.race([closed, sleep(10000)])
      assert.equal(slowClosed, true, 'the headers timeout closed the slow client')
      assert.deepEqual(statuses(slowText), [408])
    } finally {
      clearInterval(drip)
      slow.destroy()
    }
    await stillServing()
  })

  test('Transfer-Encoding and Content-Length together (request smuggling) → 400 and closed', async () => {
    const r = await raw(
      port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    )
    assert.deepEqual(statuses(r.text), [400])
    assert.equal(r.closed, true)
    assert.doesNotMatch(r.text, /smuggled/)
    await stillServing()
  })

  test('an unknown method → 400 and closed; a known WebDAV method reaches the app', async () => {
    const bad = await raw(port, 'BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n')
    assert.deepEqual(statuses(bad.text), [400])
    assert.equal(bad.closed, true)
    const dav = await raw(port, 'PROPFIND /dav HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    assert.deepEqual(statuses(dav.text), [200])
    assert.match(dav.text, /PROPFIND \/dav$/)
  })

  test('a very long URL → 431 and closed', async () => {
    const r = await raw(port, get(`/${'a'.repeat(20000)}`))
    assert.deepEqual(statuses(r.text), [431])
    assert.equal(r.closed, true)
    await stillServing()
  })

  test('a header flood (3000 small headers) does not crash the server', async () => {
    let head = 'GET /flood HTTP/1.1\r\nHost: x\r\nConnection: close\r\n'
    for (let i = 0; i < 3000; i++) head += `a${i}:b\r\n`
    const r = await raw(port, `${head}\r\n`)
    // over node's 16 KiB head limit → 431; under it node keeps the first 2000 headers → 200
    assert.ok([200, 431].includes(statuses(r.text)[0] as number), r.text.slice(0, 200))
    await stillServing()
  })

  test('invalid percent-encoding reaches a Node listener raw; Express answers it 4xx, never 5xx', async () => {
    const plain = await raw(port, get('/%zz/%E0%A4%A'))
    assert.deepEqual(statuses(plain.text), [200])
    assert.match(plain.text, /GET \/%zz\/%E0%A4%A$/)
    const ex = await raw(port, get('/ex/item/%zz'))
    const status = statuses(ex.text)[0] as number
    assert.ok(status >= 400 && status < 500, `Express: ${ex.text.slice(0, 100)}`)
    const good = await raw(port, get('/ex/item/a%20b'))
    assert.match(good.text, /item a b$/)
  })

  test('absolute-form URL with an odd scheme → 400 and closed; with http:// served by path', async () => {
    const bad = await raw(port, get('gopher://x/y'))
    assert.deepEqual(statuses(bad.text), [400])
    assert.equal(bad.closed, true)
    const ok = await raw(port, get('http://elsewhere.example/abs?q=1'))
    assert.match(ok.text, /GET \/abs\?q=1$/)
  })

  test('two Host headers → 400 and closed (routing and the app must not disagree on the host)', async () => {
    const r = await raw(port, 'GET / HTTP/1.1\r\nHost: a.example\r\nhost: b.example\r\n\r\n')
    assert.deepEqual(statuses(r.text), [400])
    assert.match(r.text, /more than one Host header/)
    assert.equal(r.closed, true)
    await stillServing()
  })

  test('CONNECT (a forward-proxy tunnel) → 405 with Allow, then closed, instead of a silent drop', async () => {
    const r = await raw(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
    assert.deepEqual(statuses(r.text), [405])
    assert.match(r.text, /Allow: GET/)
    assert.match(r.text, /not a forward proxy/)
    assert.equal(r.closed, true)
    await stillServing()
  })
})
