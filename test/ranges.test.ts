// Ranges and conditional requests on app responses and was.response.file() (README "Ranges and
// conditional requests"): 206/416/If-Range from the response's own ETag/Last-Modified, 304/412 for
// validators set as plain headers, and a 1-byte range of a 1 MB file reads about one byte.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect as h2connect } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { type RawAnswer, rawGet } from './raw-get.js'

let engine: Engine
let port: number
let dir: string
const MTIME = 'Tue, 01 Dec 2026 10:00:00 GMT'

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skitai-range-'))
  const big = Buffer.alloc(1024 * 1024)
  for (let i = 0; i < big.length; i++) big[i] = 97 + (i % 26)
  writeFileSync(join(dir, 'big.bin'), big)
  const app = new Saddle('ranges')
  app.route('/hello', (was: any) => {
    was.response.setHeader('content-type', 'text/plain')
    return 'Hello'
  })
  app.route('/tagged', (was: any) => {
    was.response.setHeader('content-type', 'text/plain')
    was.response.setHeader('ETag', '"t1"')
    was.response.setHeader('Last-Modified', MTIME)
    return 'Hello'
  })
  app.route('/file', (was: any) => was.response.file(join(dir, 'big.bin')))
  engine = new Engine()
  engine.enableAccessLog(false)
  engine.mount('/', app)
  port = await engine.listen({ port: 0 })
})

after(async () => {
  await engine.close(1)
  rmSync(dir, { recursive: true, force: true })
})

/** The answer with its body as latin1 text. */
async function get(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: RawAnswer['headers']; body: string }> {
  const r = await rawGet(port, path, headers, method)
  return { status: r.status, headers: r.headers, body: r.body.toString('latin1') }
}

test('"Hello" with Range: bytes=0-3 → 206 "Hell" with Content-Range', async () => {
  const r = await get('/hello', { range: 'bytes=0-3' })
  assert.equal(r.status, 206)
  assert.equal(r.body, 'Hell')
  assert.equal(r.headers['content-range'], 'bytes 0-3/5')
  assert.equal(r.headers['content-length'], '4')
  const suffix = await get('/hello', { range: 'bytes=-2' })
  assert.equal(suffix.status, 206)
  assert.equal(suffix.body, 'lo')
})

test('bytes=100- → 416 with Content-Range bytes */5; a malformed range → 416; several ranges → the full 200', async () => {
  const r = await get('/hello', { range: 'bytes=100-' })
  assert.equal(r.status, 416)
  assert.equal(r.headers['content-range'], 'bytes */5')
  assert.match(r.body, /Range Not Satisfiable: the body has 5 bytes/)
  const bad = await get('/hello', { range: 'bytes=abc' })
  assert.equal(bad.status, 416)
  const many = await get('/hello', { range: 'bytes=0-0,3-4' })
  assert.equal(many.status, 200)
  assert.equal(many.body, 'Hello')
  const post = await get('/hello', { range: 'bytes=0-3' }, 'POST')
  assert.notEqual(post.status, 206)
})

test('If-Range with a stale ETag → full 200; with the current ETag or Last-Modified → 206', async () => {
  const stale = await get('/tagged', { range: 'bytes=0-3', 'if-range': '"old"' })
  assert.equal(stale.status, 200)
  assert.equal(stale.body, 'Hello')
  const current = await get('/tagged', { range: 'bytes=0-3', 'if-range': '"t1"' })
  assert.equal(current.status, 206)
  assert.equal(current.body, 'Hell')
  const byDate = await get('/tagged', { range: 'bytes=1-', 'if-range': MTIME })
  assert.equal(byDate.status, 206)
  assert.equal(byDate.body, 'ello')
  const untagged = await get('/hello', { range: 'bytes=0-3', 'if-range': '"t1"' })
  assert.equal(untagged.status, 200)
})

test('validators set as plain headers answer If-None-Match, If-Match, If-Modified-Since, If-Unmodified-Since', async () => {
  const notModified = await get('/tagged', { 'if-none-match': '"t1"' })
  assert.equal(notModified.status, 304)
  assert.equal(notModified.body, '')
  assert.equal(notModified.headers.etag, '"t1"')
  assert.equal((await get('/tagged', { 'if-none-match': '"other"' })).status, 200)
  assert.equal((await get('/tagged', { 'if-modified-since': MTIME })).status, 304)
  assert.equal((await get('/tagged', { 'if-modified-since': 'Mon, 30 Nov 2026 10:00:00 GMT' })).status, 200)
  const failed = await get('/tagged', { 'if-match': '"other"' })
  assert.equal(failed.status, 412)
  assert.match(failed.body, /Precondition Failed/)
  assert.equal((await get('/tagged', { 'if-match': '"t1"' })).status, 200)
  assert.equal((await get('/tagged', { 'if-unmodified-since': 'Mon, 30 Nov 2026 10:00:00 GMT' })).status, 412)
})

/** Bytes this process has read through read(2)-like calls, page cache included (/proc/self/io rchar). */
function bytesRead(): number {
  return Number(/rchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1])
}

test('file() of a 1 MB file: a 1-byte range reads ~1 byte, not the file; the full answer reads it all', async () => {
  await get('/file', { range: 'bytes=0-0' }) // loads what the first file() loads (mime-types' table)
  const before1 = bytesRead()
  const one = await get('/file', { range: 'bytes=500000-500000' })
  const oneRead = bytesRead() - before1
  assert.equal(one.status, 206)
  assert.equal(one.body, String.fromCharCode(97 + (500000 % 26)))
  assert.equal(one.headers['content-range'], `bytes 500000-500000/${1024 * 1024}`)
  assert.equal(one.headers['accept-ranges'], 'bytes')
  const before2 = bytesRead()
  const full = await get('/file')
  const fullRead = bytesRead() - before2
  assert.equal(full.status, 200)
  assert.equal(full.body.length, 1024 * 1024)
  // the full answer reads the file (and its socket copy): well over 1 MB; the range, a few KB of socket data
  assert.ok(fullRead > 1024 * 1024, `full read ${fullRead}`)
  assert.ok(oneRead < 64 * 1024, `a 1-byte range read ${oneRead} bytes`)
})

test('file(): its ETag answers If-None-Match with 304, a stale If-Range gets the whole file, 416 past the end', async () => {
  const first = await get('/file', { range: 'bytes=0-9' })
  const etag = first.headers.etag as string
  assert.match(etag, /^W\/"/)
  assert.equal((await get('/file', { 'if-none-match': etag })).status, 304)
  const strong = await get('/file', { range: 'bytes=0-9', 'if-range': etag })
  assert.equal(strong.status, 200, 'a weak ETag never satisfies If-Range')
  assert.equal(strong.body.length, 1024 * 1024)
  const past = await get('/file', { range: `bytes=${2 * 1024 * 1024}-` })
  assert.equal(past.status, 416)
  assert.equal(past.headers['content-range'], `bytes */${1024 * 1024}`)
})

test('over h2c the same 206 and 304', async () => {
  const session = h2connect(`http://127.0.0.1:${port}`)
  const ask = (headers: Record<string, string>) =>
    new Promise<{ status: number; body: string; range?: string }>((resolve, reject) => {
      const s = session.request({ ':path': '/tagged', ...headers })
      let status = 0
      let range: string | undefined
      let body = ''
      s.setEncoding('utf8')
      s.on('response', (h) => {
        status = h[':status'] as number
        range = h['content-range'] as string | undefined
      })
      s.on('data', (d) => {
        body += d
      })
      s.on('end', () => resolve({ status, body, range }))
      s.on('error', reject)
      s.end()
    })
  try {
    const r = await ask({ range: 'bytes=0-3' })
    assert.deepEqual(r, { status: 206, body: 'Hell', range: 'bytes 0-3/5' })
    assert.equal((await ask({ 'if-none-match': '"t1"' })).status, 304)
  } finally {
    session.close()
  }
})
