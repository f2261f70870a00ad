import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { after, before, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { PROTO_HTTP, getAlias, registerAlias, unregisterAlias } from '@skitai/was'
import { request } from 'undici'

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port = 0,
): Promise<Server & { port: number; hits: number }> {
  const s = createServer((req, res) => {
    ;(s as any).hits++
    handler(req, res)
  }) as Server & { port: number; hits: number }
  s.hits = 0
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', () => r()))
  s.port = (s.address() as AddressInfo).port
  return s
}
async function stop(s: Server): Promise<void> {
  s.closeAllConnections()
  await new Promise((r) => s.close(r))
}

async function echo(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.url?.startsWith('/big-download')) {
    const chunk = Buffer.alloc(64 * 1024, 120)
    let left = 100 * 1024 * 1024
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left })
    const pump = () => {
      while (left > 0) {
        left -= chunk.length
        if (!res.write(chunk)) return void res.once('drain', pump)
      }
      res.end()
    }
    return pump()
  }
  if (req.url === '/hang') return
  if (req.url === '/midway') {
    res.writeHead(200, { 'content-length': '100000' })
    res.write('partial')
    return void setTimeout(() => res.socket?.destroy(), 30)
  }
  let n = 0
  const chunks: Buffer[] = []
  for await (const c of req) {
    n += (c as Buffer).length
    if (chunks.length < 4) chunks.push(c as Buffer)
  }
  const body = JSON.stringify({
    url: req.url,
    method: req.method,
    bytes: n,
    body: n < 1000 ? Buffer.concat(chunks).toString() : null,
    headers: req.headers,
    port: (req.socket.address() as AddressInfo).port,
  })
  res.writeHead(200, {
    'content-type': 'application/json',
    'keep-alive': 'timeout=5',
    connection: 'keep-alive, x-hop',
    'x-hop': 'secret',
    'x-kept': 'yes',
  })
  res.end(body)
}

let a: Server & { port: number; hits: number }
let b: Server & { port: number; hits: number }
let deadPort: number
let engine: Engine
let port: number

before(async () => {
  a = await serve(echo)
  b = await serve(echo)
  const d = await serve(echo)
  deadPort = d.port
  await stop(d)
  registerAlias('@px', PROTO_HTTP, [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`])
  registerAlias('@pxfail', PROTO_HTTP, [`127.0.0.1:${deadPort}`, `127.0.0.1:${a.port}`], { probeInterval: 30 })
  registerAlias('@pxdead', PROTO_HTTP, [`127.0.0.1:${deadPort}`, `127.0.0.1:${deadPort + 0}`], { probeInterval: 30 })
  registerAlias('@pxslow', PROTO_HTTP, `127.0.0.1:${a.port}`, { timeout: 0.3 })
  engine = new Engine()
  engine.pref().maxClientBodySize = 1024 * 1024 * 1024
  engine.mount('/p', '@px')
  engine.mount('/base', '@px/v1/api')
  engine.mount('/fo', '@pxfail')
  engine.mount('/dead', '@pxdead')
  engine.mount('/slow', '@pxslow')
  engine.mount('/unknown', '@never-registered')
  port = await engine.listen({ port: 0, address: '127.0.0.1' })
})

after(async () => {
  await engine.close(1)
  for (const n of ['@px', '@pxfail', '@pxdead', '@pxslow']) await unregisterAlias(n)
  await stop(a)
  await stop(b)
})

const url = (p: string) => `http://127.0.0.1:${port}${p}`

test('GET through @alias: path, query, X-Forwarded-*, transaction ids; hop-by-hop headers removed both ways', async () => {
  // A raw request, so the client library cannot tidy the Connection header.
  const raw = await new Promise<string>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () =>
      s.write(
        'GET /p/items/1?x=1&y=%20 HTTP/1.1\r\nHost: 127.0.0.1:' +
          port +
          '\r\nConnection: close, x-secret\r\nX-Secret: 1\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\n' +
          'X-Forwarded-For: 10.1.1.1\r\nX-Gtxn-Id: caller-gtx\r\nX-Ltxn-Id: 2000\r\nX-Custom: kept\r\n\r\n',
      ),
    )
    let out = ''
    s.on('data', (c) => {
      out += c.toString()
    })
    s.on('end', () => resolve(out))
    s.on('error', reject)
  })
  const [head, bodyText] = raw.split('\r\n\r\n')
  assert.match(head!, /^HTTP\/1.1 200/)
  assert.match(head!, /x-kept: yes/i)
  assert.doesNotMatch(head!, /x-hop/i, 'a header named in Connection is not forwarded')
  assert.doesNotMatch(head!, /timeout=5/i, 'Keep-Alive is not forwarded')
  const d = JSON.parse(bodyText!.startsWith('{') ? bodyText! : bodyText!.split('\r\n')[1]!) as any
  assert.equal(d.url, '/items/1?x=1&y=%20')
  assert.equal(d.method, 'GET')
  assert.equal(d.headers['x-forwarded-for'], '10.1.1.1, 127.0.0.1')
  assert.equal(d.headers['x-forwarded-proto'], 'http')
  assert.equal(d.headers['x-forwarded-host'], `127.0.0.1:${port}`)
  assert.equal(d.headers['x-custom'], 'kept')
  for (const h of ['x-secret', 'te', 'proxy-authorization']) assert.equal(d.headers[h], undefined, h)
  assert.equal(d.headers['x-gtxn-id'], 'caller-gtx')
  assert.equal(d.headers['x-ltxn-id'], '3001', 'caller 2000 + 1000, first outgoing +1')
  // Base path of the mount target.
  const base = (await (await request(url('/base/q'))).body.json()) as any
  assert.equal(base.url, '/v1/api/q')
})

test('POST through @alias; members are balanced', async () => {
  const ports = new Set<number>()
  for (let i = 0; i < 6; i++) {
    const r = await request(url('/p/echo'), {
      method: 'POST',
      body: JSON.stringify({ i }),
      headers: { 'content-type': 'application/json' },
    })
    const d = (await r.body.json()) as any
    assert.equal(d.method, 'POST')
    assert.equal(d.body, JSON.stringify({ i }))
    assert.equal(d.headers['content-type'], 'application/json')
    ports.add(d.port)
  }
  assert.deepEqual([...ports].sort(), [a.port, b.port].sort())
})

test('fail-over: a member refusing connections is marked down and requests (with bodies) go to another', async () => {
  for (let i = 0; i < 10; i++) {
    const r = await request(url('/fo/x'), { method: i % 2 ? 'POST' : 'GET', body: i % 2 ? `body ${i}` : undefined })
    assert.equal(r.statusCode, 200)
    const d = (await r.body.json()) as any
    if (i % 2) assert.equal(d.body, `body ${i}`)
  }
  assert.equal(getAlias('@pxfail')!.members[0]!.down, true)
  assert.equal(getAlias('@pxfail')!.members[0]!.failures, 1)
})

test('502 when every member is down, 504 on timeout, 502 for an unknown alias', async () => {
  const r = await request(url('/dead/x'), { method: 'POST', body: 'x'.repeat(10000) })
  assert.equal(r.statusCode, 502)
  assert.match(await r.body.text(), /every member of @pxdead failed|ECONNREFUSED/)
  const t = await request(url('/slow/hang'))
  assert.equal(t.statusCode, 504)
  await t.body.dump()
  const u = await request(url('/unknown/x'))
  assert.equal(u.statusCode, 502)
  assert.match(await u.body.text(), /never-registered/)
  // The server is fine afterwards.
  assert.equal((await request(url('/p/ok'))).statusCode, 200)
})

test('a member closing mid-response cuts the client connection (no truncated 200 passed off as whole)', async () => {
  await assert.rejects(async () => {
    const r = await request(url('/p/midway'))
    await r.body.text()
  })
})

function rssSampler() {
  const base = process.memoryUsage().rss
  let max = base
  let maxAb = 0
  const t = setInterval(() => {
    const m = process.memoryUsage()
    max = Math.max(max, m.rss)
    maxAb = Math.max(maxAb, m.arrayBuffers)
  }, 20)
  return () => {
    clearInterval(t)
    if (process.env.UPN) console.log(`# peak arrayBuffers ${(maxAb / 1048576).toFixed(1)} MB`)
    return (max - base) / 1024 / 1024
  }
}

test('a 100 MB upload and a 100 MB download stream through with flat memory', async () => {
  const chunk = Buffer.alloc(64 * 1024, 97)
  async function* gen() {
    for (let i = 0; i < Number(process.env.UPN ?? 1600); i++) yield chunk
  }
  const stopUp = rssSampler()
  const up = await request(url('/p/upload'), { method: 'PUT', body: gen() })
  const d = (await up.body.json()) as any
  const upGrowth = stopUp()
  assert.equal(d.bytes, Number(process.env.UPN ?? 1600) * 64 * 1024)
  const stopDown = rssSampler()
  const down = await request(url('/p/big-download'))
  let n = 0
  for await (const c of down.body) n += (c as Buffer).length
  const downGrowth = stopDown()
  assert.equal(n, 100 * 1024 * 1024)
  console.log(
    `# 100 MB through the proxy: RSS growth upload ${upGrowth.toFixed(1)} MB, download ${downGrowth.toFixed(1)} MB`,
  )
  assert.ok(upGrowth < 90, `upload RSS grew ${upGrowth.toFixed(1)} MB`)
  assert.ok(downGrowth < 90, `download RSS grew ${downGrowth.toFixed(1)} MB`)
})
