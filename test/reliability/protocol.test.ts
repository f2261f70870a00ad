import assert from 'node:assert/strict'
import { symlinkSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { figure, GET, request, startTarget, type Target } from './harness.js'

/**
 * Malformed HTTP (request lines, headers, smuggling, chunk sizes), static traversal (an OWASP-style list
 * of encodings, and a symlink out of the directory) and half-closed clients, against the target process.
 */

const STATIC = fileURLToPath(new URL('./fixtures/static', import.meta.url))

const MALFORMED: [string, string][] = [
  ['not HTTP at all', 'THIS IS NOT HTTP\r\n\r\n'],
  ['no version', 'GET /\r\n\r\n'],
  ['HTTP/2.0 on an HTTP/1 connection', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n'],
  ['HTTP/9.9', 'GET / HTTP/9.9\r\nHost: x\r\n\r\n'],
  ['a bad method', 'G(T / HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a space in the target', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a control byte in the target', 'GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a malformed absolute-form target', 'GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['an odd scheme', 'GET ftp://x/ HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a 20 KB target', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
  ['a header line without a colon', 'GET / HTTP/1.1\r\nHost: x\r\nBroken\r\n\r\n'],
  ['a space before the colon', 'GET / HTTP/1.1\r\nHost : x\r\n\r\n'],
  ['obsolete line folding', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n'],
  ['a NUL in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n'],
  ['bare LF line ends', 'GET / HTTP/1.1\nHost: x\n\n'],
  ['a 100 KB header', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`],
  ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
  ['no Host in HTTP/1.1', 'GET / HTTP/1.1\r\n\r\n'],
  [
    'CL and TE (smuggling)',
    'POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  ],
  [
    'two different Content-Lengths',
    'POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde',
  ],
  ['a negative Content-Length', 'POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'],
  ['a Content-Length with a sign', 'POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc'],
  ['a huge Content-Length', 'POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n'],
  ['TE: chunked, identity', 'POST /raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n'],
  ['TE: xchunked', 'POST /raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n'],
  [
    'a chunk size that is not hex',
    'POST /raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
  ],
  [
    'a chunk size overflowing 64 bits',
    'POST /raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nabc\r\n0\r\n\r\n',
  ],
  [
    'a chunk longer than its size',
    'POST /raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcdef\r\n0\r\n\r\n',
  ],
  [
    'a smuggled request behind a chunk',
    'POST /raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nX: ',
  ],
  ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'],
  [
    'an Upgrade with a body',
    'POST / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: upgrade\r\nContent-Length: 3\r\n\r\nabc',
  ],
]

/** Requests an OWASP-style traversal list makes of `/static/…`; none may return the secret. */
function traversals(): string[] {
  const dots = ['..', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '%252e%252e', '%c0%ae%c0%ae', '%uff0e%uff0e', '..%00', '...']
  const slashes = ['/', '%2f', '%2F', '%252f', '\\', '%5c', '%5C', '%c0%af', '%e0%80%af', '//', '/./']
  const out: string[] = []
  for (const d of dots)
    for (const s of slashes) for (const depth of [1, 2]) out.push(`/static/${`${d}${s}`.repeat(depth)}secret.txt`)
  out.push(
    '/static/..;/secret.txt',
    '/static/hello.txt/../../secret.txt',
    '/static/%00/../secret.txt',
    '/static/link-out',
  )
  return out
}

describe('malformed HTTP, traversal, half-close', () => {
  let target: Target
  const link = join(STATIC, 'link-out')
  before(async () => {
    try {
      unlinkSync(link)
    } catch {}
    symlinkSync('../secret.txt', link)
    target = await startTarget()
  })
  after(async () => {
    const t0 = performance.now()
    await target.stop()
    process.stdout.write(`stop took ${performance.now() - t0} ms\n`)
    unlinkSync(link)
  })

  test('malformed requests: each answered 4xx (or cut after a valid first request), the server keeps serving', async () => {
    let unanswered = 0
    const bad: string[] = []
    for (const [what, data] of MALFORMED) {
      const r = await request(target.port, data, { ms: 4000 })
      if (r.status === 0) unanswered++
      if (r.status < 400 && !(what.startsWith('a smuggled') && r.status === 200)) bad.push(`${what}: ${r.status}`)
      // 505 HTTP Version Not Supported is the right answer to HTTP/0.9 and HTTP/2.0 request lines
      if (r.status >= 500 && r.status !== 505) bad.push(`${what}: ${r.status}`)
    }
    const ok = await request(target.port, GET('/'))
    figure('malformed-http', `${MALFORMED.length} malformed requests: unanswered`, unanswered)
    figure('malformed-http', 'answered 2xx/3xx or 5xx (505 aside)', bad.length)
    assert.deepEqual(bad, [])
    assert.equal(unanswered, 0)
    assert.equal(ok.status, 200)
  })

  test('static traversal: no encoding nor symlink reaches a file outside the directory', async () => {
    const list = traversals()
    let leaks = 0
    let unanswered = 0
    for (const path of list) {
      const r = await request(target.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { ms: 4000 })
      if (r.text.includes('TOP-SECRET')) leaks++
      if (r.status === 0) unanswered++
    }
    figure('traversal', `${list.length} traversal requests: leaks`, leaks)
    figure('traversal', 'unanswered', unanswered)
    assert.equal(leaks, 0)
    assert.equal(unanswered, 0)
    assert.equal((await request(target.port, GET('/static/hello.txt'))).body, 'hello')
  })

  test('half-close after the request: static file, session route and a slow handler still answer', async () => {
    let empty = 0
    for (const path of ['/static/hello.txt', '/whoami', '/slow', '/']) {
      const r = await request(target.port, GET(path), { half: true, ms: 4000 })
      if (r.status !== 200) empty++
    }
    figure('half-close', '4 half-closed requests: unanswered', empty)
    assert.equal(empty, 0)
  })
})
