import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { request as httpRequest } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { HttpError, readBody } from '@skitai/engine'
import { counting, quietEngine, raw, sleep, statuses } from './helpers.js'

const MB = 1024 * 1024
/**
 * The server closes a connection it answered 400 right after the answer; a 2 s backstop destroys it
 * later anyway, so waiting less than that tells the two apart (a loopback write takes milliseconds).
 */
const CLOSED_WITH_ANSWER = { ms: 1500 }

describe('limits', () => {
  const engine = quietEngine()
  let port = 0
  before(async () => {
    engine.pref().maxClientBodySize = MB
    engine.mount('/count', counting)
    engine.mount('/read', async (req: IncomingMessage, res: ServerResponse) => {
      try {
        const body = await readBody(req, 1000)
        res.end(`read ${body.length}`)
      } catch (e) {
        const err = e as HttpError
        res.writeHead(err.status, err.closeConnection ? { connection: 'close' } : {})
        res.end(err.message)
      }
    })
    engine.mount('/throw', (req: IncomingMessage) => {
      if (req.url === '/http') throw new HttpError(418, 'short and stout')
      throw new Error('secret internals')
    })
    engine.mount('/reject', async () => {
      throw new Error('async failure')
    })
    engine.mount('/ok', (_req: IncomingMessage, res: ServerResponse) => res.end('ok'))
    port = await engine.listen({ port: 0 })
  })
  after(() => engine.close())

  test('a 50 MB upload against a 1 MB limit: 413 before the body is read, memory does not grow by 50 MB', async () => {
    global.gc?.()
    const rssBefore = process.memoryUsage().rss
    const chunk = Buffer.alloc(256 * 1024, 120)
    const result = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
      let sent = 0
      const req = httpRequest({
        port,
        method: 'POST',
        path: '/count',
        headers: { 'content-length': 50 * MB, 'content-type': 'application/octet-stream' },
      })
      req.on('response', (res) => {
        let body = ''
        res.on('data', (d) => {
          body += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sent }))
      })
      req.on('error', reject)
      const pump = () => {
        while (sent < 50 * MB) {
          sent += chunk.length
          if (!req.write(chunk)) {
            req.once('drain', pump)
            return
          }
        }
        req.end()
      }
      pump()
    })
    assert.equal(result.status, 413)
    assert.match(result.body, /request body too large: the limit is 1048576 bytes/)
    const grown = process.memoryUsage().rss - rssBefore
    assert.ok(grown < 40 * MB, `RSS grew by ${Math.round(grown / MB)} MB`)
    // the server is fine afterwards
    const { text } = await raw(port, 'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    assert.match(text, /200 OK[\s\S]*ok$/)
  })

  test('Content-Length over the limit on a raw socket: 413 with Connection: close, nothing read', async () => {
    const { text, closed } = await raw(port, `POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: ${2 * MB}\r\n\r\nabc`)
    assert.deepEqual(statuses(text), [413])
    assert.match(text, /Connection: close/i)
    assert.equal(closed, true)
  })

  test('an oversized chunked body: 413 as soon as the limit is crossed, then the connection closes', async () => {
    const piece = Buffer.alloc(64 * 1024, 97)
    const parts: (string | Buffer)[] = ['POST /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n']
    for (let i = 0; i < 40; i++)
      parts.push(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]))
    parts.push('0\r\n\r\n')
    const { text, closed } = await raw(port, parts, { ms: 5000 })
    assert.deepEqual(statuses(text), [413])
    assert.doesNotMatch(text, /got \d+/, 'the app never saw a complete body')
    assert.equal(closed, true)
  })

  test('readBody: chunked over the app limit → 413 with closeConnection', async () => {
    const { text } = await raw(port, [
      'POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      `7d0\r\n${'b'.repeat(2000)}\r\n0\r\n\r\n`,
    ])
    assert.deepEqual(statuses(text), [413])
    assert.match(text, /request body too large: the limit is 1000 bytes/)
  })

  test('readBody: under the limit', async () => {
    const { text } = await raw(
      port,
      'POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc',
    )
    assert.match(text, /read 3$/)
  })

  test('Expect: 100-continue over the limit: 413 without 100 Continue, the body is never requested', async () => {
    const { text } = await raw(
      port,
      `POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: ${5 * MB}\r\nExpect: 100-continue\r\n\r\n`,
      {
        until: (t) => t.includes('\r\n\r\n{'),
      },
    )
    assert.deepEqual(statuses(text), [413])
    assert.doesNotMatch(text, /100 Continue/)
  })

  test('malformed request line → 400 and the connection is closed', async () => {
    const { text, closed } = await raw(port, 'THIS IS NOT HTTP\r\n\r\n', CLOSED_WITH_ANSWER)
    assert.match(text, /^HTTP\/1\.1 400 Bad Request/)
    assert.match(text, /Connection: close/)
    assert.equal(closed, true)
  })

  test('a header line without a colon → 400 and closed', async () => {
    const { text, closed } = await raw(
      port,
      'GET /ok HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n',
      CLOSED_WITH_ANSWER,
    )
    assert.match(text, /^HTTP\/1\.1 400 Bad Request/)
    assert.equal(closed, true)
  })

  test('an invalid Content-Length → 400 and closed', async () => {
    const { text, closed } = await raw(
      port,
      'POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      CLOSED_WITH_ANSWER,
    )
    assert.match(text, /^HTTP\/1\.1 400 Bad Request/)
    assert.equal(closed, true)
  })

  test('oversized headers → 431', async () => {
    const { text } = await raw(port, `GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`)
    assert.match(text, /^HTTP\/1\.1 431 /)
  })

  test('a handler that throws → 500, HTML without the stack by default, and the server keeps serving', async () => {
    const { text } = await raw(
      port,
      'GET /throw HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\nGET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )
    assert.deepEqual(statuses(text), [500, 200])
    assert.match(text, /<h1>500 Internal Server Error<\/h1>/)
    assert.doesNotMatch(text, /secret internals|at .*\.ts/)
  })

  test('a handler error as JSON when asked; an HttpError keeps its status and message', async () => {
    const { text } = await raw(
      port,
      'GET /throw HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\nGET /throw/http HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nConnection: close\r\n\r\n',
    )
    assert.deepEqual(statuses(text), [500, 418])
    assert.match(text, /\{"code":500,"message":"Internal Server Error"\}/)
    assert.match(text, /\{"code":418,"message":"short and stout"\}/)
  })

  test('a rejected promise → 500', async () => {
    const { text } = await raw(port, 'GET /reject HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    assert.deepEqual(statuses(text), [500])
  })

  test('debug mode shows the stack', async () => {
    engine.debug = true
    try {
      const { text } = await raw(
        port,
        'GET /throw HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nConnection: close\r\n\r\n',
      )
      assert.match(text, /"traceback":"Error: secret internals\\n/)
    } finally {
      engine.debug = false
    }
  })
})

describe('timeouts and capacity', () => {
  test('request timeout drops a client that stalls mid-body, not a slow handler', async () => {
    const engine = quietEngine()
    engine.setRequestTimeout(0.5)
    engine.mount('/count', counting)
    engine.mount('/slow', async (_req: IncomingMessage, res: ServerResponse) => {
      await sleep(1200)
      res.end('slow but fine')
    })
    const port = await engine.listen({ port: 0 })
    try {
      const t0 = Date.now()
      const stalled = await raw(port, 'POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a little', {
        ms: 8000,
      })
      assert.equal(stalled.closed, true)
      assert.ok(Date.now() - t0 < 6000, 'dropped after the idle timeout')
      assert.doesNotMatch(stalled.text, /got/)
      const slow = await raw(port, 'GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { ms: 8000 })
      assert.match(slow.text, /200 OK[\s\S]*slow but fine/)
    } finally {
      await engine.close()
    }
  })

  test('headers timeout: a client that never finishes its head gets 408 and is closed', async () => {
    const engine = quietEngine()
    engine.setHeadersTimeout(1)
    engine.setRequestTimeout(60)
    engine.mount('/', counting)
    const port = await engine.listen({ port: 0 })
    try {
      const r = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', { ms: 8000 })
      assert.equal(r.closed, true)
      assert.match(r.text, /^HTTP\/1\.1 408 /)
    } finally {
      await engine.close()
    }
  })

  test('keep-alive timeout closes an idle connection', async () => {
    const engine = quietEngine()
    engine.setKeepAlive(0.3)
    engine.mount('/', (_req: IncomingMessage, res: ServerResponse) => res.end('x'))
    const port = await engine.listen({ port: 0 })
    try {
      const t0 = Date.now()
      const r = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { ms: 5000 })
      assert.equal(r.closed, true)
      assert.ok(Date.now() - t0 < 4000)
      assert.deepEqual(statuses(r.text), [200])
    } finally {
      await engine.close()
    }
  })

  test('over pref().maxInFlight: 503 with Retry-After', async () => {
    const engine = quietEngine()
    engine.pref().maxInFlight = 2
    engine.set503EstimatedTimeout(7)
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    engine.mount('/', async (_req: IncomingMessage, res: ServerResponse) => {
      await gate
      res.end('done')
    })
    const port = await engine.listen({ port: 0 })
    try {
      const req = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
      const a = raw(port, req, { ms: 10000 })
      const b = raw(port, req, { ms: 10000 })
      for (let i = 0; i < 400 && engine.inFlight < 2; i++) await sleep(10)
      assert.equal(engine.inFlight, 2)
      const c = await raw(port, req)
      assert.deepEqual(statuses(c.text), [503])
      assert.match(c.text, /Retry-After: 7/)
      release()
      assert.deepEqual(statuses((await a).text), [200])
      assert.deepEqual(statuses((await b).text), [200])
      for (let i = 0; i < 100 && engine.inFlight > 0; i++) await sleep(10)
      assert.equal(engine.inFlight, 0)
      const d = await raw(port, req)
      assert.deepEqual(statuses(d.text), [200])
    } finally {
      release()
      await engine.close()
    }
  })
})
