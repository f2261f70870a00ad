// HTTP/1.1 over TLS writes `[head + body, '']` (node:http's closing empty chunk) as one write instead
// of a writev (engine tls-writes.ts). Answers of every shape still arrive whole: one end(body), several
// writes (chunked), a large buffer, and pipelined requests on one TLS connection.
import assert from 'node:assert/strict'
import { Agent, request } from 'node:https'
import { after, before, test } from 'node:test'
import { connect } from 'node:tls'
import type { Engine } from '@skitai/engine'
import { quietEngine } from './helpers.js'
import { makeCert } from './tls-cert.js'

let engine: Engine
let port = 0
const agent = new Agent({ keepAlive: true, rejectUnauthorized: false, maxSockets: 1 })

before(async () => {
  const c = makeCert()
  engine = quietEngine()
  engine.enableSsl(c.cert, c.key)
  engine.mount('/', (req: any, res: any) => {
    if (req.url === '/one') res.end('x'.repeat(100))
    else if (req.url === '/chunks') {
      res.write('a')
      res.write('b')
      res.end('c')
    } else if (req.url === '/big') res.end(Buffer.alloc(200_000, 0x62))
    else if (req.url === '/socket') res.end(String(req.socket._writev?.name))
    else res.end(`path ${req.url}`)
  })
  port = await engine.listen({ port: 0, address: '127.0.0.1' })
})

after(async () => {
  agent.destroy()
  await engine.close(1)
})

function get(path: string): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }))
    })
    r.on('error', reject)
    r.end()
  })
}

test('an HTTP/1.1 TLS connection joins the closing empty chunk into one write; answers arrive whole', async () => {
  assert.equal((await get('/socket')).body.toString(), 'joiningWritev')
  const one = await get('/one')
  assert.equal(one.body.toString(), 'x'.repeat(100))
  const chunks = await get('/chunks')
  assert.equal(chunks.headers['transfer-encoding'], 'chunked')
  assert.equal(chunks.body.toString(), 'abc')
  const big = await get('/big')
  assert.equal(big.body.length, 200_000)
  assert.ok(big.body.every((b) => b === 0x62))
})

test('pipelined requests on one TLS connection get their answers in order', async () => {
  const text = await new Promise<string>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      s.write(
        'GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\n\r\nGET /p3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      )
    })
    let got = ''
    s.setEncoding('utf8')
    s.on('data', (d) => {
      got += d
    })
    s.on('end', () => resolve(got))
    s.on('error', reject)
  })
  const bodies = [...text.matchAll(/path (\/p\d)/g)].map((m) => m[1])
  assert.deepEqual(bodies, ['/p1', '/p2', '/p3'])
  assert.equal(text.match(/HTTP\/1\.1 200/g)?.length, 3)
})
