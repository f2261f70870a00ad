// Compression (README "Compression"): gzip/brotli by Accept-Encoding q-values over a 2 KiB threshold,
// Vary, streamed responses compressed as they stream, files, HTTP/2, skitai.setCompression, and the
// original's cases (text/plain 2,049 B → gzip; 2,047 B → none; application/pdf → none).
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect as h2connect } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import zlib from 'node:zlib'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { type RawAnswer, rawGet } from './raw-get.js'

let engine: Engine
let port: number
let dir: string
let releaseStream: () => void = () => {}
let streamFinished = false

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skitai-gz-'))
  writeFileSync(join(dir, 'big.txt'), 'file line\n'.repeat(500))
  const app = new Saddle('gz')
  app.route('/text/<int:n>', (was: any, n: number) => {
    was.response.setHeader('content-type', 'text/plain')
    return 'x'.repeat(n)
  })
  app.route('/pdf', (was: any) => {
    was.response.setHeader('content-type', 'application/pdf')
    return Buffer.alloc(5000, 65)
  })
  app.route('/json', () => ({ items: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `item ${i}` })) }))
  app.route('/tagged', (was: any) => {
    was.response.setHeader('etag', '"v1"')
    return 'tagged '.repeat(1000)
  })
  app.route('/stream', (was: any) => {
    was.response.setHeader('content-type', 'text/plain')
    return (async function* () {
      yield 'first chunk '.repeat(10)
      // the handler goes on only after the client has decoded the first chunk
      await new Promise<void>((r) => {
        releaseStream = r
      })
      yield 'second chunk '.repeat(10)
      streamFinished = true
    })()
  })
  app.route('/file', (was: any) => was.response.file(join(dir, 'big.txt')))
  engine = new Engine()
  engine.enableAccessLog(false)
  const js = 'console.log("static");\n'.repeat(200)
  mkdirSync(join(dir, 'www'))
  writeFileSync(join(dir, 'www', 'app.js'), js)
  writeFileSync(join(dir, 'www', 'app.js.br'), zlib.brotliCompressSync(js))
  writeFileSync(join(dir, 'www', 'app.js.gz'), zlib.gzipSync(js))
  writeFileSync(join(dir, 'www', 'style.css'), 'body { color: red }\n'.repeat(200))
  writeFileSync(join(dir, 'www', 'style.css.gz'), zlib.gzipSync('body { color: red }\n'.repeat(200)))
  engine.mount('/', app)
  engine.mount('/www', join(dir, 'www'))
  port = await engine.listen({ port: 0 })
})

after(async () => {
  await engine.close(1)
  rmSync(dir, { recursive: true, force: true })
})

type Raw = RawAnswer

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return rawGet(port, path, headers, method)
}

function decode(r: Raw): string {
  const enc = r.headers['content-encoding']
  if (enc === 'gzip') return zlib.gunzipSync(r.body).toString()
  if (enc === 'br') return zlib.brotliDecompressSync(r.body).toString()
  assert.equal(enc, undefined)
  return r.body.toString()
}

test('text/plain of 2,049 bytes with gzip accepted → gzip, Vary: Accept-Encoding, smaller body', async () => {
  const r = await get('/text/2049', { 'accept-encoding': 'gzip' })
  assert.equal(r.status, 200)
  assert.equal(r.headers['content-encoding'], 'gzip')
  assert.equal(r.headers.vary, 'Accept-Encoding')
  assert.equal(Number(r.headers['content-length']), r.body.length)
  assert.ok(r.body.length < 100, `compressed to ${r.body.length} bytes`)
  assert.equal(decode(r), 'x'.repeat(2049))
})

test('2,047 bytes → not compressed (threshold 2 KiB); application/pdf → not compressed', async () => {
  const small = await get('/text/2047', { 'accept-encoding': 'gzip, br' })
  assert.equal(small.headers['content-encoding'], undefined)
  assert.equal(small.headers.vary, undefined)
  assert.equal(small.body.length, 2047)
  const pdf = await get('/pdf', { 'accept-encoding': 'gzip, br' })
  assert.equal(pdf.headers['content-encoding'], undefined)
  assert.equal(pdf.body.length, 5000)
})

test('q-values choose: brotli on a tie or when preferred, gzip when it ranks higher, identity when asked', async () => {
  const cases: Array<[string, string | undefined]> = [
    ['gzip, deflate, br', 'br'],
    ['br;q=1.0, gzip;q=0.8', 'br'],
    ['gzip;q=0.5, br', 'br'],
    ['br;q=0.1, gzip', 'gzip'],
    ['gzip;q=0, br;q=0', undefined],
    ['identity', undefined],
    ['deflate', undefined],
    ['*', 'br'],
  ]
  for (const [accept, expected] of cases) {
    const r = await get('/text/4000', { 'accept-encoding': accept })
    assert.equal(r.headers['content-encoding'], expected, accept)
    assert.equal(r.headers.vary, 'Accept-Encoding', accept)
    assert.equal(decode(r), 'x'.repeat(4000), accept)
  }
})

test('no Accept-Encoding: the body as it is, still with Vary; HEAD is never compressed', async () => {
  const r = await get('/text/4000')
  assert.equal(r.headers['content-encoding'], undefined)
  assert.equal(r.headers.vary, 'Accept-Encoding')
  assert.equal(r.body.length, 4000)
  const head = await get('/text/4000', { 'accept-encoding': 'gzip' }, 'HEAD')
  assert.equal(head.headers['content-encoding'], undefined)
  assert.equal(head.headers['content-length'], '4000')
})

test('a JSON answer is compressed; a strong ETag becomes weak and still answers If-None-Match with 304', async () => {
  const json = await get('/json', { 'accept-encoding': 'br' })
  assert.equal(json.headers['content-encoding'], 'br')
  assert.equal(JSON.parse(decode(json)).items.length, 300)
  const tagged = await get('/tagged', { 'accept-encoding': 'gzip' })
  assert.equal(tagged.headers['content-encoding'], 'gzip')
  assert.equal(tagged.headers.etag, 'W/"v1"')
  const again = await get('/tagged', { 'accept-encoding': 'gzip', 'if-none-match': 'W/"v1"' })
  assert.equal(again.status, 304)
  assert.equal(again.body.length, 0)
})

test('a chunked stream is gzipped as it streams: the first chunk is decoded before the handler finishes', async () => {
  streamFinished = false
  const result = await new Promise<{ first: string; all: string; finishedAtFirst: boolean; headers: any }>(
    (resolve, reject) => {
      const req = request({ port, path: '/stream', headers: { 'accept-encoding': 'gzip' }, agent: false }, (res) => {
        const gunzip = zlib.createGunzip()
        res.pipe(gunzip)
        let all = ''
        let first = ''
        let finishedAtFirst = true
        gunzip.on('data', (d: Buffer) => {
          if (first === '') {
            first = d.toString()
            finishedAtFirst = streamFinished
            releaseStream()
          }
          all += d.toString()
        })
        gunzip.on('end', () => resolve({ first, all, finishedAtFirst, headers: res.headers }))
        gunzip.on('error', reject)
      })
      req.on('error', reject)
      req.end()
    },
  )
  assert.equal(result.headers['content-encoding'], 'gzip')
  assert.equal(result.headers['transfer-encoding'], 'chunked')
  assert.equal(result.first, 'first chunk '.repeat(10))
  assert.equal(result.finishedAtFirst, false)
  assert.equal(result.all, 'first chunk '.repeat(10) + 'second chunk '.repeat(10))
})

test('was.response.file() of a text file is compressed as it is read', async () => {
  const r = await get('/file', { 'accept-encoding': 'gzip' })
  assert.equal(r.headers['content-encoding'], 'gzip')
  assert.equal(r.headers['content-length'], undefined)
  assert.equal(decode(r), 'file line\n'.repeat(500))
  const plain = await get('/file')
  assert.equal(plain.headers['content-length'], '5000')
})

test('curl --compressed decodes it; over h2c node’s http2 client gets gzip too', async () => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      'curl',
      ['-s', '--compressed', '-D', '-', `http://127.0.0.1:${port}/text/3000`],
      { timeout: 10_000 },
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    ),
  )
  assert.match(out, /content-encoding: (br|gzip)\r\n/i)
  assert.ok(out.endsWith('x'.repeat(3000)))
  const session = h2connect(`http://127.0.0.1:${port}`)
  try {
    const r = await new Promise<Raw>((resolve, reject) => {
      const s = session.request({ ':path': '/json', 'accept-encoding': 'gzip' })
      let headers: any
      const parts: Buffer[] = []
      s.on('response', (h) => {
        headers = h
      })
      s.on('data', (d) => parts.push(d))
      s.on('end', () => resolve({ status: headers[':status'], headers, body: Buffer.concat(parts) }))
      s.on('error', reject)
      s.end()
    })
    assert.equal(r.status, 200)
    assert.equal(r.headers['content-encoding'], 'gzip')
    assert.equal(JSON.parse(decode(r)).items.length, 300)
  } finally {
    session.close()
  }
})

test('skitai.setCompression: minSize and types are used; false turns it off; bad options are named', async () => {
  engine.setCompression({ minSize: 100, types: ['application/pdf'] })
  try {
    const pdf = await get('/pdf', { 'accept-encoding': 'gzip' })
    assert.equal(pdf.headers['content-encoding'], 'gzip')
    assert.equal(decode(pdf), 'A'.repeat(5000))
    const text = await get('/text/3000', { 'accept-encoding': 'gzip' })
    assert.equal(text.headers['content-encoding'], undefined)
    engine.setCompression(false)
    const off = await get('/json', { 'accept-encoding': 'gzip' })
    assert.equal(off.headers['content-encoding'], undefined)
    assert.equal(off.headers.vary, undefined)
  } finally {
    engine.setCompression({})
  }
  assert.throws(() => engine.setCompression({ level: 12 }), /level must be an integer from 1 to 9, got 12/)
  assert.throws(() => engine.setCompression({ minSize: -1 }), /minSize/)
})

test('static files: a precompressed sibling (app.js.br, app.js.gz) is served when accepted, with the file’s type', async () => {
  const js = 'console.log("static");\n'.repeat(200)
  const br = await get('/www/app.js', { 'accept-encoding': 'gzip, br' })
  assert.equal(br.status, 200)
  assert.equal(br.headers['content-encoding'], 'br')
  assert.match(String(br.headers['content-type']), /^(application|text)\/javascript/)
  assert.equal(br.headers.vary, 'Accept-Encoding')
  assert.equal(decode(br), js)
  const gz = await get('/www/app.js', { 'accept-encoding': 'gzip' })
  assert.equal(gz.headers['content-encoding'], 'gzip')
  assert.equal(decode(gz), js)
  const none = await get('/www/app.js')
  assert.equal(none.headers['content-encoding'], undefined)
  assert.equal(none.headers.vary, 'Accept-Encoding')
  assert.equal(none.body.toString(), js)
  // only a .gz there: a client preferring brotli gets gzip; a Range is answered from the file itself
  const css = await get('/www/style.css', { 'accept-encoding': 'br, gzip;q=0.5' })
  assert.equal(css.headers['content-encoding'], 'gzip')
  assert.match(String(css.headers['content-type']), /^text\/css/)
  const ranged = await get('/www/app.js', { 'accept-encoding': 'gzip, br', range: 'bytes=0-6' })
  assert.equal(ranged.status, 206)
  assert.equal(ranged.body.toString(), 'console')
  assert.equal(ranged.headers['content-encoding'], undefined)
  engine.setCompression(false)
  try {
    const off = await get('/www/app.js', { 'accept-encoding': 'br' })
    assert.equal(off.headers['content-encoding'], undefined)
  } finally {
    engine.setCompression({})
  }
})
