// Body-less HTTP/2 requests to a Saddle app skip node's compatibility layer (engine http2-lean.ts,
// README "HTTP/2 and TLS"): they are answered through the engine's own request and response. These
// tests hold that path to what node's objects do — HEAD, 204, repeated headers, a large streamed body
// under backpressure, a client reset mid-answer, a bad header, the access log — and check which
// requests take it.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { connect, type ClientHttp2Session, constants, type IncomingHttpHeaders } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, before, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { getRequest, rawH2, rstStream } from '../../engine/test/h2-frames.js'

let engine: Engine
let session: ClientHttp2Session
let logDir: string
let slowDestroyed: Promise<void>
let markSlowDestroyed: () => void = () => {}
let port = 0
let lateCalls = 0

const CHUNK = Buffer.alloc(64 * 1024, 0x61)

before(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'skitai-h2lean-'))
  slowDestroyed = new Promise((r) => {
    markSlowDestroyed = r
  })
  const app = new Saddle('h2lean')
  app.route('/hello', (_was) => 'Hello')
  app.route('/kind', (was) => `${was.nodeRequest.constructor.name} ${was.nodeResponse.constructor.name}`, {
    methods: ['GET', 'POST'],
  })
  app.route('/empty', (_was) => undefined)
  app.route('/cookies', (was) => {
    was.response.appendHeader('set-cookie', 'a=1')
    was.response.appendHeader('set-cookie', 'b=2')
    return 'ok'
  })
  // 4 MB in 64 KB chunks: more than the stream's flow-control window, so writes wait for 'drain'
  app.route('/big', (_was) =>
    Readable.from(
      (function* () {
        for (let i = 0; i < 64; i++) yield CHUNK
      })(),
    ),
  )
  app.route('/slow', (_was) => {
    let n = 0
    const timer = setInterval(() => src.push(`tick ${n++}\n`), 20)
    const src = new Readable({
      read() {},
      destroy(err, cb) {
        clearInterval(timer)
        markSlowDestroyed()
        cb(err)
      },
    })
    return src
  })
  app.route('/late', async (_was) => {
    lateCalls++
    await new Promise((r) => setTimeout(r, 50))
    return 'late'
  })
  app.route('/bad-header', (was) => {
    was.nodeResponse.setHeader('x-bad', 'a\nb')
    return 'unreachable'
  })
  engine = new Engine()
  engine.enableFileLogging(logDir)
  engine.mount('/', app)
  engine.mount('/node', (req: any, res: any) => res.end(`${req.constructor.name} ${res.constructor.name}`))
  port = await engine.listen({ port: 0, address: '127.0.0.1' })
  session = connect(`http://127.0.0.1:${port}`)
  session.on('error', () => {})
})

after(async () => {
  session.close()
  await engine.close(1)
})

interface H2Answer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  dataFrames: number
}

function request(path: string, method = 'GET', body?: string, readDelayMs = 0): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const r = session.request({ ':path': path, ':method': method }, { endStream: body === undefined })
    if (body !== undefined) r.end(body)
    let headers: IncomingHttpHeaders = {}
    const chunks: Buffer[] = []
    let dataFrames = 0
    r.on('response', (h) => {
      headers = h
    })
    r.on('data', (d: Buffer) => {
      dataFrames++
      chunks.push(d)
      if (readDelayMs > 0) {
        r.pause()
        setTimeout(() => r.resume(), readDelayMs)
      }
    })
    r.on('end', () => resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks), dataFrames }))
    r.on('error', reject)
  })
}

test('a body-less request to a Saddle app takes the lean path; a request with a body and a node listener keep node objects', async () => {
  assert.equal((await request('/kind')).body.toString(), 'H2LeanRequest H2LeanResponse')
  assert.equal((await request('/kind', 'POST', 'x=1')).body.toString(), 'SkitaiH2Request SkitaiH2Response')
  assert.equal((await request('/node')).body.toString(), 'SkitaiH2Request SkitaiH2Response')
})

test('GET, HEAD and 204 over the lean path: the head, Date, and no body where none belongs', async () => {
  const g = await request('/hello')
  assert.equal(g.status, 200)
  assert.equal(g.body.toString(), 'Hello')
  assert.equal(g.headers['content-length'], '5')
  assert.match(String(g.headers.date), /GMT$/)
  const h = await request('/hello', 'HEAD')
  assert.equal(h.status, 200)
  assert.equal(h.headers['content-length'], '5')
  assert.equal(h.body.length, 0)
  const e = await request('/empty')
  assert.equal(e.status, 204)
  assert.equal(e.body.length, 0)
  assert.equal(e.dataFrames, 0)
  const missing = await request('/nothing-here')
  assert.equal(missing.status, 404)
})

test('repeated headers arrive as separate fields', async () => {
  const c = await request('/cookies')
  assert.deepEqual(c.headers['set-cookie'], ['a=1', 'b=2'])
})

test('a 4 MB streamed answer to a slowly reading client arrives whole (writes wait for drain)', async () => {
  const b = await request('/big', 'GET', undefined, 2)
  assert.equal(b.status, 200)
  assert.equal(b.body.length, 64 * CHUNK.length)
  assert.ok(b.body.every((x) => x === 0x61))
})

test('a client reset mid-answer ends the handler stream, and the session keeps serving', async () => {
  const r = session.request({ ':path': '/slow' })
  r.on('error', () => {})
  await new Promise<void>((resolve) => r.once('data', () => resolve()))
  r.close(constants.NGHTTP2_CANCEL)
  const gone = await Promise.race([slowDestroyed.then(() => true), new Promise((r) => setTimeout(r, 2000, false))])
  assert.equal(gone, true, 'the streamed source was not destroyed after the client reset')
  assert.equal((await request('/hello')).body.toString(), 'Hello')
})

test('rapid reset on the lean path: the session gets GOAWAY ENHANCE_YOUR_CALM, other clients are served', async () => {
  const before = lateCalls
  const c = await rawH2(port)
  const burst: Buffer[] = []
  for (let i = 0; i < 5000; i++) burst.push(getRequest(1 + 2 * i, '/late'), rstStream(1 + 2 * i))
  c.socket.write(Buffer.concat(burst))
  const others = await Promise.all(Array.from({ length: 20 }, () => request('/hello')))
  for (const o of others) assert.equal(o.body.toString(), 'Hello')
  await Promise.race([c.closed, new Promise((r) => setTimeout(r, 3000))])
  assert.ok(
    c.frames.some((f) => f.type === 0x7 && f.code === 0xb),
    JSON.stringify(c.frames.filter((f) => f.type === 7)),
  )
  assert.ok(lateCalls - before < 2500, `${lateCalls - before} of 5000 reset streams reached the handler`)
})

test('a header value with a newline is refused with 500, not sent and not a crash', async () => {
  const r = await request('/bad-header')
  assert.equal(r.status, 500)
  assert.equal(r.headers['x-bad'], undefined)
  assert.equal((await request('/hello')).status, 200)
})

test('the access log has a line for a lean request: HTTP/2.0, status and bytes', async () => {
  await request('/hello?from=log')
  await new Promise((r) => setTimeout(r, 100))
  const log = readFileSync(join(logDir, 'request.log'), 'utf8')
  assert.match(log, / GET \/hello\?from=log HTTP\/2\.0 0 200 5 /)
  assert.match(log, / HEAD \/hello HTTP\/2\.0 0 200 /)
})
