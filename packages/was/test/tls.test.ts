import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createSecureServer } from 'node:http2'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { PROTO_HTTPS, Was, registerAlias, unregisterAlias } from '@skitai/was'

// A self-signed certificate for 127.0.0.1, made by openssl for this test.
const dir = mkdtempSync(join(tmpdir(), 'was-tls-'))
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ],
  { stdio: 'ignore' },
)
const key = readFileSync(join(dir, 'key.pem'))
const cert = readFileSync(join(dir, 'cert.pem'))

test('https members: HTTP/2 when the server offers it by ALPN, HTTP/1.1 otherwise; a private CA through options.tls', async () => {
  const h2 = createSecureServer({ key, cert, allowHTTP1: true }, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ version: req.httpVersion, ltxn: req.headers['x-ltxn-id'] }))
  })
  const h1 = createHttpsServer({ key, cert }, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ version: req.httpVersion }))
  })
  await Promise.all([h2, h1].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))))
  registerAlias('@h2', PROTO_HTTPS, `127.0.0.1:${(h2.address() as AddressInfo).port}`, { tls: { ca: cert } })
  registerAlias('@h1', PROTO_HTTPS, `127.0.0.1:${(h1.address() as AddressInfo).port}`, { tls: { ca: cert } })
  registerAlias('@untrusted', PROTO_HTTPS, `127.0.0.1:${(h1.address() as AddressInfo).port}`)
  try {
    const was = new Was('g', 1000)
    const [a, b, c] = await Promise.all([
      was.get('@h2/x').getwait(5),
      was.post('@h2/y', { a: 1 }).getwait(5),
      was.get('@h1/x').getwait(5),
    ])
    assert.deepEqual(a.data, { version: '2.0', ltxn: '1001' })
    assert.equal((b.data as any).version, '2.0')
    assert.deepEqual(c.data, { version: '1.1' })
    const bad = await was.get('@untrusted/x').getwait(5)
    assert.equal(bad.status, 2)
    assert.match(bad.reason, /self.signed|certificate/i)
    was.close()
  } finally {
    for (const n of ['@h2', '@h1', '@untrusted']) await unregisterAlias(n)
    h1.closeAllConnections()
    await Promise.all([h2, h1].map((s) => new Promise((r) => s.close(r))))
  }
})
