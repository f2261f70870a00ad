// HTTP/2 must-show: curl over h2c (prior knowledge) and over TLS (ALPN h2) gets the same answers as
// HTTP/1.1 for a Saddle route, a static file, Express, Koa, Hono and a proxied '@alias'; node's http2
// client sees the negotiated protocol; HTTP/1.1 still works on the TLS port.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { copyFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { connect as h2connect } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { connect as tlsConnect } from 'node:tls'
import { fileURLToPath } from 'node:url'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { PROTO_HTTP, registerAlias, unregisterAlias } from '@skitai/was'
import express from 'express'
import { Hono } from 'hono'
import Koa from 'koa'
import { makeCert } from '../packages/engine/test/tls-cert.js'

const staticDir = fileURLToPath(new URL('../examples/hello/static', import.meta.url))
let backend: Server
let plain: Engine
let secure: Engine
let plainPort: number
let securePort: number
let cert: ReturnType<typeof makeCert>

function mountAll(e: Engine): void {
  const app = new Saddle('h2demo')
  app.route('/hello/<int:n>', (_was: unknown, n: number) => ({ n, doubled: n * 2 }))
  app.route('/echo', (_was: unknown, msg: string) => ({ got: msg }), { methods: ['POST'] })
  const ex = express()
  ex.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id, hostname: req.hostname, baseUrl: req.baseUrl, originalUrl: req.originalUrl })
  })
  const koa = new Koa()
  koa.use((ctx) => {
    ctx.body = { koa: ctx.path, host: ctx.host }
  })
  const hono = new Hono()
  hono.get('/hi/:name', (c) => c.json({ hono: c.req.param('name') }))
  e.enableAccessLog(false)
  e.mount('/app', app)
  e.mount('/ex', ex)
  e.mount('/koa', koa.callback())
  e.mount('/hono', hono)
  e.mount('/back', '@h2back')
  e.mount('/', staticDir)
  e.mount('/', (_req: unknown, res: any) => res.end('vhost site.test'), { host: 'site.test' })
}

before(async () => {
  backend = createServer((req, res) => {
    res.setHeader('connection', 'keep-alive')
    res.end(`backend ${req.method} ${req.url} fwd-host=${req.headers['x-forwarded-host']}`)
  })
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r))
  registerAlias('@h2back', PROTO_HTTP, `127.0.0.1:${(backend.address() as AddressInfo).port}`)
  cert = makeCert()
  plain = new Engine()
  mountAll(plain)
  plainPort = await plain.listen({ port: 0 })
  secure = new Engine()
  secure.enableSsl(cert.cert, cert.key)
  mountAll(secure)
  securePort = await secure.listen({ port: 0 })
})

after(async () => {
  await plain.close(1)
  await secure.close(1)
  unregisterAlias('@h2back')
  backend.close()
})

function curl(args: string[]): Promise<{ body: string; version: string; status: number }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sk', '-w', '\n%{http_version} %{http_code}', ...args], { timeout: 10_000 }, (err, out) => {
      if (err) return reject(err)
      const nl = out.lastIndexOf('\n')
      const [version, status] = out.slice(nl + 1).split(' ')
      resolve({ body: out.slice(0, nl), version: version as string, status: Number(status) })
    })
  })
}

const paths = [
  ['Saddle route', '/app/hello/21'],
  ['static file', '/'],
  ['static file 404', '/missing.txt'],
  ['Express', '/ex/items/42'],
  ['Koa', '/koa/k'],
  ['Hono', '/hono/hi/kim'],
  ['@alias proxy', '/back/b/c?x=1'],
] as const

for (const [what, path] of paths) {
  test(`${what}: h2c prior knowledge answers as HTTP/1.1 does`, async () => {
    const h1 = await curl(['--http1.1', `http://127.0.0.1:${plainPort}${path}`])
    const h2 = await curl(['--http2-prior-knowledge', `http://127.0.0.1:${plainPort}${path}`])
    assert.equal(h1.version, '1.1')
    assert.equal(h2.version, '2')
    assert.equal(h2.status, h1.status)
    assert.equal(h2.body, h1.body)
    if (path !== '/missing.txt') assert.equal(h1.status, 200)
  })
  test(`${what}: https with ALPN h2 answers as https/1.1 does`, async () => {
    const h1 = await curl(['--http1.1', `https://127.0.0.1:${securePort}${path}`])
    const h2 = await curl(['--http2', `https://127.0.0.1:${securePort}${path}`])
    assert.equal(h1.version, '1.1')
    assert.equal(h2.version, '2')
    assert.equal(h2.status, h1.status)
    assert.equal(h2.body, h1.body)
  })
}

test('Express over h2 keeps its request/response API (hostname from :authority, baseUrl)', async () => {
  const r = await curl(['--http2-prior-knowledge', `http://127.0.0.1:${plainPort}/ex/items/7?z=1`])
  assert.deepEqual(JSON.parse(r.body), {
    id: '7',
    hostname: '127.0.0.1',
    baseUrl: '/ex',
    originalUrl: '/ex/items/7?z=1',
  })
})

test('a request body over h2 reaches the Saddle handler', async () => {
  const r = await curl([
    '--http2-prior-knowledge',
    '-H',
    'content-type: application/json',
    '--data-binary',
    '{"msg":"hello h2"}',
    `http://127.0.0.1:${plainPort}/app/echo`,
  ])
  assert.equal(r.status, 200)
  assert.deepEqual(JSON.parse(r.body), { got: 'hello h2' })
})

test('virtual hosts route by :authority over h2', async () => {
  const session = h2connect(`http://127.0.0.1:${plainPort}`)
  const get = (authority: string) =>
    new Promise<string>((resolve, reject) => {
      const r = session.request({ ':path': '/', ':authority': authority })
      let text = ''
      r.setEncoding('utf8')
      r.on('data', (d) => {
        text += d
      })
      r.on('end', () => resolve(text))
      r.on('error', reject)
    })
  try {
    assert.equal(await get('site.test'), 'vhost site.test')
    assert.match(await get('other.test'), /Hello from a static file/)
  } finally {
    session.close()
  }
})

test("node's http2 client negotiates h2 by ALPN and gets the Saddle route", async () => {
  const session = h2connect(`https://127.0.0.1:${securePort}`, { rejectUnauthorized: false })
  await new Promise<void>((r) => session.once('connect', () => r()))
  assert.equal(session.alpnProtocol, 'h2')
  const req = session.request({ ':path': '/app/hello/5' })
  const [headers, body] = await new Promise<[any, string]>((resolve) => {
    let text = ''
    let h: any
    req.on('response', (x) => {
      h = x
    })
    req.setEncoding('utf8')
    req.on('data', (d) => {
      text += d
    })
    req.on('end', () => resolve([h, text]))
  })
  session.close()
  assert.equal(headers[':status'], 200)
  assert.deepEqual(JSON.parse(body), { n: 5, doubled: 10 })
})

test('a client offering only http/1.1 by ALPN on the TLS port gets http/1.1', async () => {
  const proto = await new Promise<string | false>((resolve, reject) => {
    const s = tlsConnect({
      port: securePort,
      host: '127.0.0.1',
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    })
    s.on('secureConnect', () => {
      resolve(s.alpnProtocol)
      s.destroy()
    })
    s.on('error', reject)
  })
  assert.equal(proto, 'http/1.1')
})

test('run({ http2: false }) turns HTTP/2 off: a prior-knowledge preface is refused as HTTP/1.1', async () => {
  const e = new Engine()
  e.enableAccessLog(false)
  e.mount('/', (_req: unknown, res: any) => res.end('h1 only'))
  const port = await e.listen({ port: 0, http2: false })
  try {
    await assert.rejects(curl(['--http2-prior-knowledge', `http://127.0.0.1:${port}/`]))
    assert.equal((await curl([`http://127.0.0.1:${port}/`])).body, 'h1 only')
  } finally {
    await e.close(1)
  }
})

test('SIGHUP re-reads the certificate files (renewal without restart)', async () => {
  const a = makeCert('first.example')
  const b = makeCert('second.example')
  const dir = makeCert().dir
  const certFile = join(dir, 'live-cert.pem')
  const keyFile = join(dir, 'live-key.pem')
  copyFileSync(a.cert, certFile)
  copyFileSync(a.key, keyFile)
  const e = new Engine()
  e.enableAccessLog(false)
  e.enableSsl(certFile, keyFile)
  e.mount('/', (_req: unknown, res: any) => res.end('tls'))
  const port = await e.listen({ port: 0 })
  const subject = () =>
    new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false })
      s.on('secureConnect', () => {
        resolve(String(s.getPeerCertificate().subject.CN))
        s.destroy()
      })
      s.on('error', reject)
    })
  try {
    assert.equal(await subject(), 'first.example')
    copyFileSync(b.cert, certFile)
    copyFileSync(b.key, keyFile)
    process.kill(process.pid, 'SIGHUP')
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(await subject(), 'second.example')
  } finally {
    await e.close(1)
  }
})

test('enableSsl names a missing file; a passphrase-protected key works', async () => {
  assert.throws(() => new Engine().enableSsl('/nonexistent/cert.pem', '/nonexistent/key.pem'), /certificate file/)
  const c = makeCert('locked.example', 's3cret')
  const e = new Engine()
  e.enableAccessLog(false)
  e.enableSsl(c.cert, c.key, 's3cret')
  e.mount('/', (_req: unknown, res: any) => res.end('locked'))
  const port = await e.listen({ port: 0 })
  try {
    assert.equal((await curl(['--http2', `https://127.0.0.1:${port}/`])).body, 'locked')
  } finally {
    await e.close(1)
  }
})
