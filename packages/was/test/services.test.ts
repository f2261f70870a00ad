import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { after, before, test } from 'node:test'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import busboy from 'busboy'
import { WebSocketServer } from 'ws'
import {
  FAIL_CANCELLED,
  FAIL_CLOSED,
  FAIL_CONNECT,
  FAIL_DECODE,
  FAIL_DNS,
  FAIL_TIMEOUT,
  FAIL_URL,
  HttpError,
  PROTO_HTTP,
  DB_PGSQL,
  Was,
  callChannel,
  fileFrom,
  registerAlias,
  unregisterAlias,
} from '@skitai/was'
import { type Backend, backend, json, readBody, sleep } from './helpers.ts'

let api: Backend
const pending: Array<() => void> = []
let cancelledSeen = 0

before(async () => {
  api = await backend(async (req, res) => {
    const url = req.url ?? '/'
    if (url.startsWith('/json'))
      return json(res, {
        hello: 'world',
        gtxn: req.headers['x-gtxn-id'],
        ltxn: req.headers['x-ltxn-id'],
        accept: req.headers.accept,
      })
    if (url === '/echo') {
      const body = await readBody(req)
      return json(res, { method: req.method, type: req.headers['content-type'] ?? null, body: body.toString() })
    }
    if (url === '/text') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      return res.end('plain text é')
    }
    if (url === '/bin') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      return res.end(Buffer.from([1, 2, 3]))
    }
    if (url === '/404') return json(res, { error: 'nope' }, 404)
    if (url.startsWith('/rows/'))
      return json(
        res,
        Array.from({ length: Number(url.slice(6)) }, (_, i) => ({ id: i })),
      )
    if (url === '/badjson') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end('{"a": 1,')
    }
    if (url === '/proto') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end('{"__proto__": {"admin": true}}')
    }
    if (url === '/midway') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
      res.write('{"partial": ')
      setTimeout(() => res.socket?.destroy(), 20)
      return
    }
    if (url === '/hang') {
      req.on('close', () => {
        if (!res.writableEnded) cancelledSeen++
      })
      pending.push(() => res.end())
      return
    }
    if (url === '/upload') {
      const parts: Record<string, unknown> = {}
      const bb = busboy({ headers: req.headers })
      bb.on('field', (name, value) => {
        parts[name] = value
      })
      bb.on('file', (name, stream, info) => {
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => {
          parts[name] = { filename: info.filename, text: Buffer.concat(chunks).toString() }
        })
      })
      bb.on('close', () => json(res, parts))
      req.pipe(bb)
      return
    }
    if (url === '/jrpc') {
      const call = JSON.parse((await readBody(req)).toString())
      if (call.method === 'add')
        return json(res, { jsonrpc: '2.0', id: call.id, result: call.params[0] + call.params[1] })
      return json(res, {
        jsonrpc: '2.0',
        id: call.id,
        error: { code: -32601, message: `method not found: ${call.method}` },
      })
    }
    json(res, { path: url })
  })
  registerAlias('@svc', PROTO_HTTP, `127.0.0.1:${api.port}`)
})

after(async () => {
  for (const p of pending) p()
  await unregisterAlias('@svc')
  await api.close()
})

test('get decodes JSON and carries transaction ids 1001, 1002 (also published for logging)', async () => {
  const seen: any[] = []
  const onCall = (m: unknown) => seen.push(m)
  callChannel.subscribe(onCall)
  const was = new Was('g-1', 1000)
  const t1 = was.get(`http://127.0.0.1:${api.port}/json`)
  const t2 = was.get('@svc/json?x=1')
  const [r1, r2] = await Promise.all([t1.getwait(5), t2.getwait(5)])
  assert.equal(r1.status, 3)
  assert.equal(r1.status_code, 200)
  assert.deepEqual(r1.data, { hello: 'world', gtxn: 'g-1', ltxn: '1001', accept: 'application/json' })
  assert.equal((r2.data as any).ltxn, '1002')
  assert.equal(r2.member, `127.0.0.1:${api.port}`)
  assert.equal(was.txnid(), 'g-1/1000')
  callChannel.unsubscribe(onCall)
  assert.deepEqual(seen.map((m) => [m.method, m.status, m.status_code, m.gtxnid, m.ltxnid]).sort(), [
    ['GET', 3, 200, 'g-1', '1001'],
    ['GET', 3, 200, 'g-1', '1002'],
  ])
  was.close()
})

test('post sends JSON by default; headers override the request type', async () => {
  const was = new Was('g', 1000)
  const r = await was.post('@svc/echo', { a: 1 }).getwait(5)
  assert.deepEqual(r.data, { method: 'POST', type: 'application/json', body: '{"a":1}' })
  const f = await was
    .put('@svc/echo', { a: 'x y' }, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })
    .getwait(5)
  assert.deepEqual(f.data, { method: 'PUT', type: 'application/x-www-form-urlencoded', body: 'a=x+y' })
  const d = await was.delete('@svc/echo').getwait(5)
  assert.equal((d.data as any).method, 'DELETE')
  const o = await was.patch('@svc/echo', Buffer.from('raw')).getwait(5)
  assert.deepEqual(o.data, { method: 'PATCH', type: 'application/octet-stream', body: 'raw' })
})

test('text/* decodes to a string, other types to a Buffer, non-2xx is still status 3', async () => {
  const was = new Was('g', 1000)
  const [t, b, n] = await Promise.all([
    was.get('@svc/text').getwait(),
    was.get('@svc/bin').getwait(),
    was.get('@svc/404').getwait(),
  ])
  assert.equal(t.data, 'plain text é')
  assert.ok(Buffer.isBuffer(b.data))
  assert.deepEqual([...(b.data as Buffer)], [1, 2, 3])
  assert.equal(n.status, 3)
  assert.equal(n.status_code, 404)
  assert.deepEqual(n.data, { error: 'nope' })
  assert.throws(() => n.reraise(), /HTTP 404/)
  await assert.rejects(
    was.get('@svc/404').fetch(),
    (e: HttpError) => e instanceof HttpError && e.status === 502 && /404/.test(e.detail ?? ''),
  )
  await assert.rejects(was.get('@svc/404').wait(), /HTTP 404/)
})

test('three backends answering after 50 ms are called at once (overlap seen by the backends)', async () => {
  let active = 0
  let maxActive = 0
  const slow = await Promise.all(
    [0, 1, 2].map(() =>
      backend((_req, res) => {
        active++
        maxActive = Math.max(maxActive, active)
        setTimeout(() => {
          active--
          json(res, { ok: true })
        }, 50)
      }),
    ),
  )
  try {
    const was = new Was('g', 1000)
    const start = performance.now()
    const tasks = slow.map((b) => was.get(`http://127.0.0.1:${b.port}/`))
    const results = await Promise.all(tasks.map((t) => t.getwait(5)))
    const ms = performance.now() - start
    assert.deepEqual(
      results.map((r) => r.status),
      [3, 3, 3],
    )
    assert.equal(maxActive, 3, 'all three requests were in the backends at the same time')
    console.log(`# three 50 ms backends collected in ${ms.toFixed(1)} ms`)
  } finally {
    await Promise.all(slow.map((b) => b.close()))
  }
})

test('bad inputs: unreachable host, DNS failure, invalid JSON, closed mid-response, unknown alias, bad URL', async () => {
  const was = new Was('g', 1000)
  const refused = await was.get('http://127.0.0.1:1/').getwait(5)
  assert.equal(refused.status, 2)
  assert.equal(refused.status_code, FAIL_CONNECT)
  assert.match(refused.reason, /connection failed/)
  assert.equal(refused.data, null)
  assert.ok(refused.error)

  const dns = await was.get('http://no-such-host.invalid/').getwait(5)
  assert.equal(dns.status, 2)
  assert.equal(dns.status_code, FAIL_DNS)
  assert.match(dns.reason, /DNS/)

  const bad = await was.get('@svc/badjson').getwait(5)
  assert.equal(bad.status, 2)
  assert.equal(bad.status_code, FAIL_DECODE)
  assert.match(bad.reason, /invalid application\/json response body/)
  assert.equal(bad.text, '{"a": 1,')

  const proto = await was.get('@svc/proto').getwait(5)
  assert.equal(proto.status, 2)
  assert.equal(proto.status_code, FAIL_DECODE)

  const mid = await was.get('@svc/midway').getwait(5)
  assert.equal(mid.status, 2)
  assert.equal(mid.status_code, FAIL_CLOSED)

  const unknown = await was.get('@nosuch/x').getwait(5)
  assert.equal(unknown.status, 2)
  assert.equal(unknown.status_code, FAIL_URL)
  assert.match(unknown.reason, /unknown alias '@nosuch'/)
  await assert.rejects(
    was.get('@nosuch/x').fetch(),
    (e: HttpError) => e.status === 502 && /@nosuch/.test(e.detail ?? ''),
  )

  const url = await was.get('ftp://x/').getwait(5)
  assert.equal(url.status_code, FAIL_URL)
  assert.match(url.reason, /invalid URL/)
  // The backend is still fine afterwards.
  assert.equal((await was.get('@svc/json').getwait(5)).status, 3)
})

test('getwait timeout gives status 1 / 730 and fetch throws 504; close() cancels what was not collected', async () => {
  const was = new Was('g', 1000)
  const r = await was.get('@svc/hang').getwait(0.2)
  assert.equal(r.status, 1)
  assert.equal(r.status_code, FAIL_TIMEOUT)
  await assert.rejects(was.get('@svc/hang').fetch(0.1), (e: HttpError) => e.status === 504)
  const before = cancelledSeen
  const task = was.get('@svc/hang')
  await sleep(100)
  was.close()
  for (let i = 0; i < 50 && cancelledSeen < before + 1; i++) await sleep(20)
  assert.ok(cancelledSeen >= before + 1, 'the backend saw the cancelled request go away')
  const c = await task.getwait(1)
  assert.equal(c.status, 2)
  assert.equal(c.status_code, FAIL_CANCELLED)
  // The pool still works after cancellations.
  assert.equal((await new Was('g', 1000).get('@svc/json').getwait(5)).status, 3)
})

test('upload: fields, a file by path, a Buffer and a stream', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'was-up-'))
  const p = join(dir, 'hello.txt')
  writeFileSync(p, 'from disk')
  const was = new Was('g', 1000)
  const r = await was
    .upload('@svc/upload', {
      name: 'Ann "Q"',
      n: 3,
      doc: fileFrom(p),
      buf: Buffer.from('from buffer'),
      st: Readable.from([Buffer.from('from '), Buffer.from('stream')]),
    })
    .getwait(5)
  assert.equal(r.status, 3, r.reason)
  assert.deepEqual(r.data, {
    name: 'Ann %22Q%22'.replace(/%22/g, '"'),
    n: '3',
    doc: { filename: 'hello.txt', text: 'from disk' },
    buf: { filename: 'buf', text: 'from buffer' },
    st: { filename: 'st', text: 'from stream' },
  })
})

test('jsonrpc: result and error', async () => {
  const was = new Was('g', 1000)
  const ok = await was.jsonrpc('@svc/jrpc').add(1, 2).getwait(5)
  assert.equal(ok.data, 3)
  assert.equal(ok.fault, null)
  const err = await was.jsonrpc('@svc/jrpc').nope().getwait(5)
  assert.equal(err.status, 3)
  assert.deepEqual(err.fault, { code: -32601, message: 'method not found: nope' })
  assert.throws(() => err.reraise(), /fault -32601/)
})

test('ws: one message, one reply; JSON objects round-trip', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((r) => wss.once('listening', r))
  wss.on('connection', (s, req) => s.on('message', (m) => s.send(req.headers['x-ltxn-id'] ? `echo:${m}` : 'no txn')))
  const port = (wss.address() as any).port
  registerAlias('@wsb', 'ws', `127.0.0.1:${port}`)
  try {
    const was = new Was('g', 1000)
    const r = await was.ws(`ws://127.0.0.1:${port}/x`, 'hi').getwait(5)
    assert.equal(r.status, 3)
    assert.equal(r.data, 'echo:hi')
    const j = await was.ws('@wsb/x', { a: 1 }).getwait(5)
    assert.equal(j.data, 'echo:{"a":1}')
    const set = await was.ws.map('@wsb/x', 'm').getswait(5)
    assert.deepEqual(set.data, ['echo:m'])
  } finally {
    await unregisterAlias('@wsb')
    for (const c of wss.clients) c.terminate()
    await new Promise((r) => wss.close(r))
  }
})

test('was.db: unknown and non-database aliases throw naming them; bad SQL arguments are a status 2', async () => {
  registerAlias('@pg', DB_PGSQL, 'u:p%40ss@127.0.0.1/main')
  const was = new Was('g', 1000)
  const r = await was.db('@pg').execute('').getwait(1)
  assert.deepEqual([r.status, r.status_code], [2, 704])
  assert.match(r.reason, /give the SQL as a string/)
  assert.throws(() => was.db('@nope'), /unknown alias '@nope'/)
  assert.throws(() => was.db('@svc'), /not a database/)
  return unregisterAlias('@pg')
})

test('one(): exactly one record, 404 for none, 409 for more; wait() resolves on success', async () => {
  const was = new Was('g', 1000)
  assert.deepEqual(await was.get('@svc/rows/1').one(5), { id: 0 })
  assert.deepEqual(
    await was
      .get('@svc/json')
      .one(5)
      .then((d: any) => d.hello),
    'world',
  )
  await assert.rejects(was.get('@svc/rows/0').one(5), (e: HttpError) => e.status === 404)
  await assert.rejects(was.get('@svc/rows/2').one(5), (e: HttpError) => e.status === 409 && /2/.test(e.detail ?? ''))
  await was.get('@svc/json').wait(5)
  await assert.rejects(was.get.map('@svc/json').getwait(), /getswait/)
})
