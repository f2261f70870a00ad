/**
 * readBody over real sockets (the body reader without per-request closures, commit 54b9c02), and the
 * response 'close' bookkeeping seen through `emit`: `engine.inFlight` and each request's `was.close()`.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { readBody, testClient } from '@skitai/engine'
import { currentWas, HttpError } from '@skitai/was'
import { request } from 'undici'
import { quietEngine, raw, sleep, statuses } from './helpers.js'

const LIMIT = 1000

/** What the server saw of the last body it read, for the tests to inspect. */
interface Seen {
  body: Buffer | null
  error: unknown
  second: unknown
}

function deferred<T = void>() {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

function reply(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** Polls `fn` until it is true (or 3 s pass); the assertion after it tells what went wrong. */
async function until(fn: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !fn(); i++) await sleep(10)
}

describe('readBody on a node:http server', () => {
  let server: Server
  let port = 0
  let seen: Seen = { body: null, error: null, second: null }
  let reading = deferred()
  let settled = deferred()

  before(async () => {
    server = createServer(async (req, res) => {
      seen = { body: null, error: null, second: null }
      const url = req.url ?? '/'
      const limit = url.startsWith('/small') ? LIMIT : 1024 * 1024
      let first: Promise<Buffer>
      try {
        first = readBody(req, limit)
      } catch (e) {
        seen.error = e
        settled.resolve()
        return reply(res, 500, 'readBody threw instead of rejecting')
      }
      if (url.startsWith('/twice')) {
        try {
          await readBody(req, limit)
          seen.second = 'resolved'
        } catch (e) {
          seen.second = e
        }
      }
      reading.resolve()
      try {
        const body = await first
        seen.body = body
        settled.resolve()
        reply(res, 200, `${body.length} ${createHash('sha256').update(body).digest('hex')}`)
      } catch (e) {
        seen.error = e
        settled.resolve()
        reply(res, e instanceof HttpError ? e.status : 500, String((e as Error).message))
      }
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as { port: number }).port
  })
  after(() => new Promise<void>((r) => server.close(() => r())))

  const fresh = () => {
    reading = deferred()
    settled = deferred()
  }
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

  test('a chunked body sent in pieces is assembled in order', async () => {
    fresh()
    const parts = Array.from({ length: 6 }, (_, i) => Buffer.alloc(700 + i, 65 + i))
    const whole = Buffer.concat(parts)
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/echo' }, (res) => {
        let t = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (t += d))
        res.on('end', () => resolve(t))
      })
      req.on('error', reject)
      ;(async () => {
        for (const p of parts) {
          req.write(p)
          await sleep(15)
        }
        req.end()
      })()
    })
    assert.equal(text, `${whole.length} ${sha(whole)}`)
    assert.ok(seen.body !== null && seen.body.equals(whole))
  })

  test('a chunked body over the limit rejects with HttpError 413; the server keeps serving', async () => {
    fresh()
    const chunk = Buffer.alloc(400, 'x').toString()
    const chunks = Array.from({ length: 5 }, () => `${(400).toString(16)}\r\n${chunk}\r\n`)
    const { text } = await raw(
      port,
      ['POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', ...chunks, '0\r\n\r\n'],
      { gapMs: 10, until: (t) => t.includes('\r\n\r\n') },
    )
    await settled.promise
    assert.ok(seen.error instanceof HttpError, String(seen.error))
    assert.equal(seen.error.status, 413)
    assert.match(seen.error.message, /1000 bytes/)
    assert.deepEqual(statuses(text), [413])
    // the next request (a new connection) is served normally
    fresh()
    const ok = await request(`http://127.0.0.1:${port}/small`, { method: 'POST', body: 'fine' })
    assert.equal(ok.statusCode, 200)
    assert.equal(await ok.body.text(), `4 ${sha(Buffer.from('fine'))}`)
  })

  test('a declared Content-Length over the limit is refused before anything is read', async () => {
    fresh()
    const { text } = await raw(port, 'POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nabc', {
      until: (t) => t.includes('\r\n\r\n'),
    })
    await settled.promise
    assert.ok(seen.error instanceof HttpError)
    assert.equal(seen.error.status, 413)
    assert.deepEqual(statuses(text), [413])
  })

  test('a client that goes away mid-body: the read rejects with HttpError 400', async () => {
    fresh()
    const s: Socket = connect(port, '127.0.0.1')
    await new Promise((r) => s.on('connect', r))
    s.on('error', () => {})
    s.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789')
    await reading.promise
    await sleep(20)
    s.destroy()
    await settled.promise
    assert.ok(seen.error instanceof HttpError, String(seen.error))
    assert.equal(seen.error.status, 400)
    assert.match(seen.error.message, /incomplete|could not be read/)
    // and the server is fine
    fresh()
    const ok = await request(`http://127.0.0.1:${port}/echo`, { method: 'POST', body: 'after' })
    assert.equal(ok.statusCode, 200)
    await ok.body.text()
  })

  test('a second concurrent readBody rejects clearly; the first still gets the whole body', async () => {
    fresh()
    const body = Buffer.alloc(3000, 'z')
    const r = await request(`http://127.0.0.1:${port}/twice`, { method: 'POST', body })
    assert.equal(r.statusCode, 200)
    assert.equal(await r.body.text(), `3000 ${sha(body)}`)
    assert.ok(seen.second instanceof Error, `the second read: ${String(seen.second)}`)
    assert.match(seen.second.message, /already being read/)
    assert.ok(seen.body !== null && seen.body.equals(body))
  })

  test('zero-length bodies resolve to an empty Buffer', async () => {
    for (const head of [
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n',
      'GET /echo HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ]) {
      fresh()
      const { text } = await raw(port, head, { until: (t) => /\r\n\r\n0 /.test(t) })
      await settled.promise
      assert.deepEqual(statuses(text), [200], head)
      assert.ok(Buffer.isBuffer(seen.body), head)
      assert.equal(seen.body.length, 0, head)
    }
  })
})

/**
 * A second readBody after the first one has settled gets the same outcome (the bytes, the 413, the 400),
 * never data that is not the body, and never hangs. (It used to resolve to an empty Buffer after a
 * complete read, to the tail of the body after a 413, and never settle after the client went away.)
 */
describe('readBody after the body was already read', () => {
  let server: Server
  let port = 0
  const results = new Map<string, ReturnType<typeof deferred<string>>>()
  const outcome = (url: string) => {
    let d = results.get(url)
    if (d === undefined) results.set(url, (d = deferred<string>()))
    return d
  }
  before(async () => {
    server = createServer(async (req, res) => {
      const url = req.url ?? '/'
      await readBody(req, url.startsWith('/small') ? LIMIT : 1024 * 1024).catch(() => undefined)
      const again = await Promise.race([
        readBody(req, 1024 * 1024).then(
          (b) => `resolved ${b.length}`,
          (e) => `rejected ${(e as HttpError).status ?? ''} ${(e as Error).message}`,
        ),
        sleep(1000).then(() => 'still pending after 1 s'),
      ])
      outcome(url).resolve(again)
      reply(res, 200, again)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as { port: number }).port
  })
  after(() => new Promise<void>((r) => server.close(() => r())))

  test('after a complete read: rejects (or gives the same bytes), not an empty Buffer', async () => {
    await raw(port, 'POST /seq HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', {
      until: (t) => t.includes('\r\n\r\n'),
    })
    const got = await outcome('/seq').promise
    assert.ok(got.startsWith('rejected') || got === 'resolved 5', got)
  })

  test('after a 413: rejects, never the part of the body past the limit', async () => {
    const chunks = Array.from({ length: 5 }, (_, i) => `190\r\n${String(i).repeat(400)}\r\n`)
    raw(port, ['POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', ...chunks, '0\r\n\r\n'], {
      gapMs: 10,
      ms: 1500,
    })
    const got = await outcome('/small').promise
    assert.match(got, /^rejected 413/)
  })

  test('after the client went away mid-body: rejects at once, does not hang', async () => {
    const s = connect(port, '127.0.0.1')
    s.on('error', () => {})
    await new Promise((r) => s.on('connect', r))
    s.write('POST /abort HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123')
    await sleep(50)
    s.destroy()
    const got = await outcome('/abort').promise
    assert.match(got, /^rejected 400/)
  })
})

describe('response close bookkeeping through an Engine', () => {
  const engine = quietEngine()
  let port = 0
  let closes = 0
  let made = 0
  let hanging = deferred()
  before(async () => {
    engine.mount('/', async (req: IncomingMessage, res: ServerResponse) => {
      // count each request's `was` and its close(), which the engine calls when the response closes
      const w = currentWas() as any
      made++
      const close = w.close.bind(w)
      w.close = () => {
        closes++
        close()
      }
      const url = req.url ?? '/'
      if (url.startsWith('/hang')) {
        hanging.resolve()
        return // never answers: only the client going away ends it
      }
      if (url.startsWith('/late')) {
        hanging.resolve()
        await sleep(150)
        reply(res, 200, 'late')
        return
      }
      try {
        const body = await readBody(req, 64 * 1024)
        reply(res, 200, `got ${body.length}`)
      } catch (e) {
        reply(res, (e as HttpError).status ?? 500, String(e))
      }
    })
    port = await engine.listen({ port: 0, address: '127.0.0.1' })
  })
  after(() => engine.close(1))

  test('inFlight returns to 0 after many requests, and every was is closed exactly once', async () => {
    const base = `http://127.0.0.1:${port}`
    const one = async (i: number) => {
      const r =
        i % 3 === 0
          ? await request(`${base}/post/${i}`, { method: 'POST', body: 'x'.repeat(i * 10) })
          : await request(`${base}/get/${i}`)
      assert.equal(r.statusCode, 200)
      assert.equal(await r.body.text(), `got ${i % 3 === 0 ? i * 10 : 0}`)
    }
    const startMade = made
    for (let round = 0; round < 6; round++) await Promise.all(Array.from({ length: 20 }, (_, k) => one(round * 20 + k)))
    await until(() => engine.inFlight === 0 && closes === made)
    assert.equal(engine.inFlight, 0)
    assert.equal(made - startMade, 120)
    assert.equal(closes, made, 'one was.close() per request')
  })

  test('a client that disconnects before the answer is counted out too', async () => {
    // A FIN alone cannot be told from a half-close (whose sender still waits for the answer, README "HTTP,
    // limits and timeouts"): such a request is counted out when the handler answers or its deadline
    // passes. A reset is noticed at once.
    engine.setHandlerTimeout(1)
    for (const [path, how] of [
      ['/hang', 'reset'],
      ['/late', 'reset'],
      ['/hang', 'fin'],
      ['/late', 'fin'],
    ]) {
      hanging = deferred()
      const before = closes
      const s = connect(port, '127.0.0.1')
      s.on('error', () => {})
      await new Promise((r) => s.on('connect', r))
      s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`)
      await hanging.promise
      assert.equal(engine.inFlight, 1, `${path}: counted in while it runs`)
      if (how === 'reset') s.resetAndDestroy()
      else s.destroy()
      await until(() => engine.inFlight === 0 && closes === before + 1)
      assert.equal(engine.inFlight, 0, `${path} ${how}`)
      assert.equal(closes, before + 1, `${path} ${how}: its was closed once`)
    }
    engine.setHandlerTimeout(60)
    // a request cut mid-body as well
    const before = closes
    const s = connect(port, '127.0.0.1')
    s.on('error', () => {})
    await new Promise((r) => s.on('connect', r))
    s.write('POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nabc')
    await until(() => engine.inFlight === 1)
    s.destroy()
    await until(() => engine.inFlight === 0 && closes === before + 1)
    assert.equal(engine.inFlight, 0)
    assert.equal(closes, before + 1)
    await sleep(200) // the /late handler writes after its client left: nothing may go negative or throw
    assert.equal(engine.inFlight, 0)
    const ok = await request(`http://127.0.0.1:${port}/get/after`)
    assert.equal(await ok.body.text(), 'got 0')
    await until(() => engine.inFlight === 0)
    assert.equal(engine.inFlight, 0)
  })

  test('in process (testClient, a plain ServerResponse) the count returns to 0 as well', async () => {
    const cli = testClient(engine)
    const before = closes
    for (let i = 0; i < 10; i++) {
      const r = await cli.request('POST', `/p/${i}`, { body: 'abcdef' })
      assert.equal(r.status, 200)
      assert.equal(r.text, 'got 6')
    }
    await until(() => engine.inFlight === 0 && closes === before + 10)
    assert.equal(engine.inFlight, 0)
    assert.equal(closes, before + 10)
    await cli.close()
  })
})
