// cli.http2 on socket test clients: h2c to a plain server, h2 by ALPN to a TLS one.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { type Engine, testClient } from '@skitai/engine'
import { quietEngine } from './helpers.js'
import { makeCert } from './tls-cert.js'

let plain: Engine
let secure: Engine
let plainPort: number
let securePort: number

function echo(req: any, res: any): void {
  let body = ''
  req.setEncoding('utf8')
  req.on('data', (d: string) => {
    body += d
  })
  req.on('end', () => {
    res.setHeader('content-type', 'application/json')
    res.setHeader('set-cookie', ['a=1', 'b=2'])
    res.end(
      JSON.stringify({ method: req.method, url: req.url, version: req.httpVersion, body, x: req.headers['x-test'] }),
    )
  })
}

before(async () => {
  plain = quietEngine()
  plain.mount('/', echo)
  plainPort = await plain.listen({ port: 0 })
  const c = makeCert()
  secure = quietEngine()
  secure.enableSsl(c.cert, c.key)
  secure.mount('/', echo)
  securePort = await secure.listen({ port: 0 })
})

after(async () => {
  await plain.close(1)
  await secure.close(1)
})

test('cli.http2 on a { port } client: get and post over h2c, headers as arrays', async () => {
  const cli = testClient({ port: plainPort })
  try {
    const r = await cli.http2.get('/a?b=1', { headers: { 'X-Test': 'yes' } })
    assert.equal(r.status, 200)
    assert.deepEqual(r.json(), { method: 'GET', url: '/a?b=1', version: '2.0', body: '', x: 'yes' })
    assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2'])
    const p = await cli.http2.post('/p', { n: 1 })
    assert.deepEqual(p.data, { method: 'POST', url: '/p', version: '2.0', body: '{"n":1}' })
    // the HTTP/1.1 client is unchanged beside it
    assert.equal((await cli.get('/h1')).json().version, '1.1')
  } finally {
    await cli.close()
  }
})

test('cli.http2 on an https client negotiates h2; cli itself speaks https/1.1', async () => {
  const cli = testClient({ port: securePort, https: true })
  try {
    assert.equal((await cli.get('/')).json().version, '1.1')
    assert.equal((await cli.http2.get('/')).json().version, '2.0')
  } finally {
    await cli.close()
  }
})

test('an in-process client says cli.http2 needs sockets', () => {
  assert.throws(() => testClient((_q: any, s: any) => s.end()).http2, /needs a server over sockets/)
})
