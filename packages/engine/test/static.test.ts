// Static files (README "Static files", README "HTTP, limits and timeouts" conditional/Range) over real sockets on 127.0.0.1.
import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { Agent, request } from 'undici'
import { createStaticHandler } from '../src/static.js'
import { MaxAgeTable } from '../src/static-maxage.js'
import { rawRequest, startStaticServer } from './static-wire.js'

const ROOT = fileURLToPath(new URL('./fixtures/static/', import.meta.url))
const file = (name: string) => readFileSync(ROOT + name)

describe('static files mounted at /static', () => {
  let port = 0
  let close: () => Promise<void>
  const maxAge = new MaxAgeTable()

  before(async () => {
    maxAge.set('/', 300)
    maxAge.set('/static/js', 0)
    maxAge.set('/static/images/', 3600)
    const started = await startStaticServer(createStaticHandler(ROOT, { maxAge }), '/static')
    port = started.port
    close = started.close
  })
  after(() => close())

  test('index.html for the mount point with its slash, index.htm for a sub directory', async () => {
    const root = await rawRequest(port, '/static/')
    assert.equal(root.status, 200)
    assert.equal(root.headers['content-type'], 'text/html; charset=utf-8')
    assert.deepEqual(root.body, file('index.html'))
    const sub = await rawRequest(port, '/static/sub/')
    assert.equal(sub.status, 200)
    assert.deepEqual(sub.body, file('sub/index.htm'))
  })

  test('a directory without its slash → 301 to the slash, relative to the full URL, query kept', async () => {
    const sub = await rawRequest(port, '/static/sub?x=1&y=2')
    assert.equal(sub.status, 301)
    assert.equal(sub.headers.location, '/static/sub/?x=1&y=2')
    const bare = await rawRequest(port, '/static')
    assert.equal(bare.status, 301)
    assert.equal(bare.headers.location, '/static/')
    // '//static/sub' must not become a protocol-relative redirect to another host
    const started = await startStaticServer(createStaticHandler(ROOT, { maxAge }), '')
    try {
      const sneaky = await rawRequest(started.port, '//sub')
      assert.equal(sneaky.status, 301)
      assert.equal(sneaky.headers.location, '/sub/')
    } finally {
      await started.close()
    }
  })

  test('a directory with no index file is not listed: next() either way', async () => {
    for (const target of ['/static/noindex/', '/static/noindex']) {
      const res = await rawRequest(port, target)
      assert.equal(res.status, 404, target)
      assert.equal(res.headers['x-next'], '1', target)
    }
  })

  test('an absent file calls next() with the raw path', async () => {
    const res = await rawRequest(port, '/static/missing/caf%C3%A9.txt')
    assert.equal(res.status, 404)
    assert.equal(res.headers['x-next'], '1')
    assert.match(res.body.toString(), /next\(\) for "\/missing\/caf%C3%A9.txt" GET/)
    const notDir = await rawRequest(port, '/static/style.css/child')
    assert.equal(notDir.headers['x-next'], '1')
  })

  test('MIME types from mime-types, charset for text, octet-stream when unknown', async () => {
    const cases: [string, string][] = [
      ['/static/style.css', 'text/css; charset=utf-8'],
      ['/static/js/app.js', 'text/javascript; charset=utf-8'],
      ['/static/data.json', 'application/json; charset=utf-8'],
      ['/static/images/pixel.png', 'image/png'],
      ['/static/digits.txt', 'text/plain; charset=utf-8'],
      ['/static/blob.unknownext', 'application/octet-stream'],
    ]
    for (const [target, type] of cases) {
      const res = await rawRequest(port, target)
      assert.equal(res.status, 200, target)
      assert.equal(res.headers['content-type'], type, target)
      assert.deepEqual(res.body, file(target.slice('/static/'.length)), target)
    }
    const encoded = await rawRequest(port, '/static/caf%C3%A9%20menu.txt')
    assert.equal(encoded.status, 200)
    assert.equal(encoded.body.toString(), 'uni')
  })

  test('ETag and Last-Modified; 304 for If-None-Match and If-Modified-Since', async () => {
    const first = await rawRequest(port, '/static/style.css')
    const etag = first.headers.etag!
    const lastModified = first.headers['last-modified']!
    assert.match(etag, /^W\/".+"$/)
    assert.equal(Date.parse(lastModified), Math.floor(statSync(`${ROOT}style.css`).mtimeMs / 1000) * 1000)

    const byEtag = await rawRequest(port, '/static/style.css', 'GET', { 'If-None-Match': etag })
    assert.equal(byEtag.status, 304)
    assert.equal(byEtag.body.length, 0)
    assert.equal(byEtag.headers.etag, etag)
    assert.equal(byEtag.headers['cache-control'], 'max-age=300')

    const inList = await rawRequest(port, '/static/style.css', 'GET', { 'If-None-Match': `"nope", ${etag}` })
    assert.equal(inList.status, 304)
    const other = await rawRequest(port, '/static/style.css', 'GET', { 'If-None-Match': '"other"' })
    assert.equal(other.status, 200)
    assert.deepEqual(other.body, file('style.css'))

    const bySince = await rawRequest(port, '/static/style.css', 'GET', { 'If-Modified-Since': lastModified })
    assert.equal(bySince.status, 304)
    const older = new Date(Date.parse(lastModified) - 60_000).toUTCString()
    const stale = await rawRequest(port, '/static/style.css', 'GET', { 'If-Modified-Since': older })
    assert.equal(stale.status, 200)
    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
    const both = await rawRequest(port, '/static/style.css', 'GET', {
      'If-None-Match': '"other"',
      'If-Modified-Since': lastModified,
    })
    assert.equal(both.status, 200)
  })

  test('412 for a failing If-Match or If-Unmodified-Since, 200 when they hold', async () => {
    const { headers } = await rawRequest(port, '/static/data.json')
    const failMatch = await rawRequest(port, '/static/data.json', 'GET', { 'If-Match': '"something-else"' })
    assert.equal(failMatch.status, 412)
    assert.match(failMatch.body.toString(), /Precondition Failed/)
    assert.equal(failMatch.headers.etag, undefined)
    assert.notEqual(failMatch.body.toString(), file('data.json').toString())
    const okMatch = await rawRequest(port, '/static/data.json', 'GET', { 'If-Match': headers.etag! })
    assert.equal(okMatch.status, 200)
    const star = await rawRequest(port, '/static/data.json', 'GET', { 'If-Match': '*' })
    assert.equal(star.status, 200)

    const before = new Date(Date.parse(headers['last-modified']!) - 3600_000).toUTCString()
    const failSince = await rawRequest(port, '/static/data.json', 'GET', { 'If-Unmodified-Since': before })
    assert.equal(failSince.status, 412)
    const later = new Date(Date.now() + 3600_000).toUTCString()
    const okSince = await rawRequest(port, '/static/data.json', 'GET', { 'If-Unmodified-Since': later })
    assert.equal(okSince.status, 200)
  })

  test('Range → 206 with Content-Range; suffix ranges; 416 outside the file', async () => {
    const digits = file('digits.txt')
    const size = digits.length
    const first = await rawRequest(port, '/static/digits.txt', 'GET', { Range: 'bytes=0-4' })
    assert.equal(first.status, 206)
    assert.equal(first.headers['content-range'], `bytes 0-4/${size}`)
    assert.equal(first.headers['content-length'], '5')
    assert.equal(first.body.toString(), '01234')
    assert.equal(first.headers['accept-ranges'], 'bytes')

    const suffix = await rawRequest(port, '/static/digits.txt', 'GET', { Range: 'bytes=-3' })
    assert.equal(suffix.status, 206)
    assert.equal(suffix.body.toString(), 'xyz')
    const open = await rawRequest(port, '/static/digits.txt', 'GET', { Range: 'bytes=30-' })
    assert.equal(open.body.toString(), digits.subarray(30).toString())

    const beyond = await rawRequest(port, '/static/digits.txt', 'GET', { Range: `bytes=${size}-` })
    assert.equal(beyond.status, 416)
    assert.equal(beyond.headers['content-range'], `bytes */${size}`)
    assert.doesNotMatch(beyond.body.toString(), /0123/)
  })

  test('multiple ranges are refused by answering the full body with 200', async () => {
    const res = await rawRequest(port, '/static/digits.txt', 'GET', { Range: 'bytes=0-1,5-6' })
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, file('digits.txt'))
    // overlapping ranges are combined into one
    const merged = await rawRequest(port, '/static/digits.txt', 'GET', { Range: 'bytes=0-3,2-5' })
    assert.equal(merged.status, 206)
    assert.equal(merged.body.toString(), '012345')
  })

  test('If-Range: 206 when the validator matches, the full 200 body when it does not', async () => {
    const { headers } = await rawRequest(port, '/static/digits.txt')
    const fresh = await rawRequest(port, '/static/digits.txt', 'GET', { Range: 'bytes=2-3', 'If-Range': headers.etag! })
    assert.equal(fresh.status, 206)
    assert.equal(fresh.body.toString(), '23')
    const stale = await rawRequest(port, '/static/digits.txt', 'GET', { Range: 'bytes=2-3', 'If-Range': '"old"' })
    assert.equal(stale.status, 200)
    assert.deepEqual(stale.body, file('digits.txt'))
    const byDate = await rawRequest(port, '/static/digits.txt', 'GET', {
      Range: 'bytes=2-3',
      'If-Range': headers['last-modified']!,
    })
    assert.equal(byDate.status, 206)
    const oldDate = new Date(Date.parse(headers['last-modified']!) - 60_000).toUTCString()
    const staleDate = await rawRequest(port, '/static/digits.txt', 'GET', { Range: 'bytes=2-3', 'If-Range': oldDate })
    assert.equal(staleDate.status, 200)
  })

  test('setMaxAge per prefix: longest wins, by whole segments, 0 → max-age=0, Expires follows', async () => {
    const cases: [string, number][] = [
      ['/static/style.css', 300],
      ['/static/js/app.js', 0],
      ['/static/jsx/app.js', 300], // '/static/js' does not cover '/static/jsx'
      ['/static/images/pixel.png', 3600],
      ['/static/', 300],
    ]
    for (const [target, seconds] of cases) {
      const res = await rawRequest(port, target)
      assert.equal(res.status, 200, target)
      assert.equal(res.headers['cache-control'], `max-age=${seconds}`, target)
      const expires = Date.parse(res.headers.expires!)
      const expected = Date.parse(res.headers.date!) + seconds * 1000
      assert.ok(Math.abs(expires - expected) <= 2000, `${target}: Expires ${res.headers.expires}`)
    }
  })

  test('no setMaxAge for a path → no Cache-Control and no Expires', async () => {
    const started = await startStaticServer(createStaticHandler(ROOT, { maxAge: new MaxAgeTable() }), '/static')
    try {
      const res = await rawRequest(started.port, '/static/style.css')
      assert.equal(res.status, 200)
      assert.equal(res.headers['cache-control'], undefined)
      assert.equal(res.headers.expires, undefined)
    } finally {
      await started.close()
    }
  })

  test('HEAD: the same headers as GET and no body', async () => {
    const get = await rawRequest(port, '/static/data.json')
    const head = await rawRequest(port, '/static/data.json', 'HEAD')
    assert.equal(head.status, 200)
    assert.equal(head.body.length, 0)
    for (const name of ['content-type', 'content-length', 'etag', 'last-modified', 'cache-control', 'accept-ranges']) {
      assert.equal(head.headers[name], get.headers[name], name)
    }
    assert.equal(head.headers['content-length'], String(file('data.json').length))
    const headRange = await rawRequest(port, '/static/digits.txt', 'HEAD', { Range: 'bytes=0-9' })
    assert.equal(headRange.status, 206)
    assert.equal(headRange.headers['content-length'], '10')
    assert.equal(headRange.body.length, 0)
  })

  test('other methods: 405 with Allow when a file is there, next() otherwise', async () => {
    const post = await rawRequest(port, '/static/style.css', 'POST', { 'Content-Length': '0' })
    assert.equal(post.status, 405)
    assert.equal(post.headers.allow, 'GET, HEAD')
    assert.doesNotMatch(post.body.toString(), /color/)
    for (const target of ['/static/missing', '/static/sub/', '/static/sub', '/static/.env']) {
      const res = await rawRequest(port, target, 'POST', { 'Content-Length': '0' })
      assert.equal(res.headers['x-next'], '1', target)
    }
    const del = await rawRequest(port, '/static/%2e%2e/x', 'DELETE')
    assert.equal(del.status, 403)
    assert.equal(del.headers['x-next'], undefined)
  })

  test('dotfiles and dot directories are never served: treated as absent (next())', async () => {
    for (const target of ['/static/.env', '/static/.hidden/secret.txt', '/static/%2eenv', '/static/sub/../.env']) {
      const res = await rawRequest(port, target)
      assert.ok(res.status === 404 || res.status === 403, `${target}: ${res.status}`)
      assert.doesNotMatch(res.raw, /MUST-NOT-LEAK/, target)
    }
    const plain = await rawRequest(port, '/static/.env')
    assert.equal(plain.headers['x-next'], '1')
  })

  test('keep-alive: many files over one undici connection', async () => {
    const agent = new Agent({ connections: 1 })
    try {
      for (const name of ['style.css', 'data.json', 'digits.txt', 'js/app.js']) {
        const res = await request(`http://127.0.0.1:${port}/static/${name}`, { dispatcher: agent })
        assert.equal(res.statusCode, 200)
        assert.deepEqual(Buffer.from(await res.body.arrayBuffer()), file(name))
      }
    } finally {
      await agent.close()
    }
  })
})

describe('createStaticHandler at mount time', () => {
  test('throws a clear error when the root does not exist', () => {
    assert.throws(
      () => createStaticHandler(`${ROOT}does-not-exist`, { maxAge: new MaxAgeTable() }),
      /static mount: directory '.*does-not-exist'.*does not exist/,
    )
  })
  test('throws a clear error when the root is a file', () => {
    assert.throws(
      () => createStaticHandler(`${ROOT}style.css`, { maxAge: new MaxAgeTable() }),
      /static mount: '.*style\.css'.*is not a directory/,
    )
  })
})

describe('MaxAgeTable', () => {
  test('longest prefix wins by whole segments; trailing slashes ignored; re-set replaces', () => {
    const t = new MaxAgeTable()
    assert.equal(t.lookup('/a.css'), undefined)
    t.set('/', 300)
    t.set('/js/', 0)
    t.set('/js/vendor', 86400)
    assert.equal(t.lookup('/'), 300)
    assert.equal(t.lookup('/a.css'), 300)
    assert.equal(t.lookup('/js'), 0)
    assert.equal(t.lookup('/js/app.js'), 0)
    assert.equal(t.lookup('/jsx/app.js'), 300)
    assert.equal(t.lookup('/js/vendor/x.js'), 86400)
    t.set('/js', 10)
    assert.equal(t.lookup('/js/app.js'), 10)
    assert.equal(t.size, 3)
  })
  test('bad arguments are clear errors', () => {
    const t = new MaxAgeTable()
    assert.throws(() => t.set('js', 1), /prefix must be a URL path starting with '\/'/)
    assert.throws(() => t.set('/js', -1), /non-negative integer/)
    assert.throws(() => t.set('/js', 1.5), /non-negative integer/)
    assert.throws(() => t.set('/js', Number.NaN), /non-negative integer/)
  })
})
