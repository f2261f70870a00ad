// evaluateConditional against real requests: a node:http server on 127.0.0.1 evaluates the request's
// conditional headers against validators the test chooses (X-Test-Etag / X-Test-Mtime) and answers
// with the result as its status; undici sends the requests.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { evaluateConditional } from '../src/conditional.js'

const MTIME = 1_700_000_000 // epoch seconds
const AT = (s: number) => new Date(s * 1000).toUTCString()

let base = ''
const server = createServer((req, res) => {
  const etag = req.headers['x-test-etag'] as string | undefined
  const mtime = req.headers['x-test-mtime'] as string | undefined
  res.statusCode = evaluateConditional(req, etag, mtime === undefined ? undefined : Number(mtime))
  res.end()
})

before(async () => {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => new Promise<void>((resolve) => server.close(() => resolve())))

async function status(
  method: string,
  headers: Record<string, string>,
  etag: string | null = '"v1"', // null: the response has no ETag
  mtime: number | null = MTIME, // null: no Last-Modified
): Promise<number> {
  const h: Record<string, string> = { ...headers }
  if (etag !== null) h['x-test-etag'] = etag
  if (mtime !== null) h['x-test-mtime'] = String(mtime)
  const res = await request(`${base}/r`, { method: method as 'GET', headers: h })
  await res.body.dump()
  return res.statusCode
}

describe('evaluateConditional', () => {
  test('an unconditional request is 200, for any method', async () => {
    for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE']) assert.equal(await status(m, {}), 200, m)
  })

  test('If-None-Match (weak comparison): 304 for GET/HEAD, 412 for other methods, 200 when it does not match', async () => {
    assert.equal(await status('GET', { 'if-none-match': '"v1"' }), 304)
    assert.equal(await status('HEAD', { 'if-none-match': '"v1"' }), 304)
    assert.equal(await status('GET', { 'if-none-match': 'W/"v1"' }), 304)
    assert.equal(await status('GET', { 'if-none-match': '"v1"' }, 'W/"v1"'), 304)
    assert.equal(await status('GET', { 'if-none-match': '"a", "v1", "b"' }), 304)
    assert.equal(await status('GET', { 'if-none-match': '*' }), 304)
    assert.equal(await status('GET', { 'if-none-match': '"v2"' }), 200)
    assert.equal(await status('GET', { 'if-none-match': '"v1"' }, null), 200)
    assert.equal(await status('PUT', { 'if-none-match': '"v1"' }), 412)
    assert.equal(await status('PUT', { 'if-none-match': '*' }), 412)
    assert.equal(await status('POST', { 'if-none-match': '"v2"' }), 200)
  })

  test('If-Modified-Since: 304 when not modified since, 200 when modified or the date is invalid', async () => {
    assert.equal(await status('GET', { 'if-modified-since': AT(MTIME) }), 304)
    assert.equal(await status('GET', { 'if-modified-since': AT(MTIME + 60) }), 304)
    assert.equal(await status('HEAD', { 'if-modified-since': AT(MTIME) }), 304)
    assert.equal(await status('GET', { 'if-modified-since': AT(MTIME - 1) }), 200)
    assert.equal(await status('GET', { 'if-modified-since': 'not a date' }), 200)
    assert.equal(await status('GET', { 'if-modified-since': AT(MTIME) }, '"v1"', null), 200)
  })

  test('If-Modified-Since is ignored for methods other than GET/HEAD', async () => {
    assert.equal(await status('POST', { 'if-modified-since': AT(MTIME) }), 200)
    assert.equal(await status('PUT', { 'if-modified-since': AT(MTIME + 60) }), 200)
  })

  test('If-None-Match wins over If-Modified-Since', async () => {
    assert.equal(await status('GET', { 'if-none-match': '"v2"', 'if-modified-since': AT(MTIME) }), 200)
    assert.equal(await status('GET', { 'if-none-match': '"v1"', 'if-modified-since': AT(MTIME - 60) }), 304)
  })

  test('If-Match (strong comparison): 412 when it does not hold, weak tags never match', async () => {
    assert.equal(await status('PUT', { 'if-match': '"v1"' }), 200)
    assert.equal(await status('GET', { 'if-match': '"a" , "v1"' }), 200)
    assert.equal(await status('PUT', { 'if-match': '*' }), 200)
    assert.equal(await status('PUT', { 'if-match': '"v2"' }), 412)
    assert.equal(await status('GET', { 'if-match': '"v2"' }), 412)
    assert.equal(await status('PUT', { 'if-match': 'W/"v1"' }), 412)
    assert.equal(await status('PUT', { 'if-match': '"v1"' }, 'W/"v1"'), 412)
    assert.equal(await status('PUT', { 'if-match': '"v1"' }, null), 412)
  })

  test('If-Unmodified-Since: 412 when modified after it; ignored when invalid, without a date, or with If-Match', async () => {
    assert.equal(await status('PUT', { 'if-unmodified-since': AT(MTIME) }), 200)
    assert.equal(await status('PUT', { 'if-unmodified-since': AT(MTIME - 1) }), 412)
    assert.equal(await status('GET', { 'if-unmodified-since': AT(MTIME - 1) }), 412)
    assert.equal(await status('PUT', { 'if-unmodified-since': 'yesterday-ish' }), 200)
    assert.equal(await status('PUT', { 'if-unmodified-since': AT(MTIME - 1) }, '"v1"', null), 200)
    assert.equal(await status('PUT', { 'if-match': '"v1"', 'if-unmodified-since': AT(MTIME - 1) }), 200)
  })

  test('precedence: a failing If-Match gives 412 before If-None-Match is looked at', async () => {
    assert.equal(await status('GET', { 'if-match': '"v2"', 'if-none-match': '"v1"' }), 412)
    assert.equal(await status('GET', { 'if-match': '"v1"', 'if-none-match': '"v1"' }), 304)
    assert.equal(await status('GET', { 'if-unmodified-since': AT(MTIME - 1), 'if-none-match': '"v1"' }), 412)
  })

  test('Cache-Control: no-cache forces a full answer (a reload)', async () => {
    assert.equal(await status('GET', { 'if-none-match': '"v1"', 'cache-control': 'no-cache' }), 200)
  })
})
