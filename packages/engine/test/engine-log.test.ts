import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { Engine, readBody } from '@skitai/engine'
import { Pool } from 'undici'

const LINE =
  /^(\d{4}\.\d\d\.\d\d) (\d\d:\d\d:\d\d) (\S+) (\S+) (\S+) (\S+) (HTTP\/1\.[01]) (\d+) (\d{3}) (\S+) (\S+) (\d+) ("[^"]*"|-) (\S+) ("(?:[^"\\]|\\.)*"|-) ("(?:[^"\\]|\\.)*"|-) (\S+) (M|W\d+) (\d+) (\d+)ms (\d+)ms$/

test('access log: every field in order, file logging, logOff by prefix and suffix, server log with txn id', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skitai-log-'))
  const engine = new Engine()
  engine.enableFileLogging(dir)
  engine.logOff('/static/', '*.css')
  engine.mount('/', async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/fail') throw new Error('logged failure')
    const body = await readBody(req, 1000)
    res.writeHead(201, { 'content-type': 'text/plain' })
    res.end(`body ${body.length}`)
  })
  const port = await engine.listen({ port: 0 })
  const pool = new Pool(`http://127.0.0.1:${port}`)
  const call = async (method: string, path: string, headers: Record<string, string> = {}, body?: string | Readable) => {
    const r = await pool.request({ method: method as any, path, headers, body })
    await r.body.text()
  }
  try {
    await call(
      'POST',
      '/api/x?y=1',
      {
        'x-gtxn-id': 'GTID-caller-7',
        'x-ltxn-id': '1002',
        authorization: 'Bearer tok123',
        referer: 'http://ref.example/a',
        'user-agent': 'Test "Agent" 1.0',
        'x-forwarded-for': '10.1.2.3, 10.0.0.1',
      },
      'hello',
    )
    await call('GET', '/plain')
    await call('GET', '/static/app.js')
    await call('GET', '/theme/site.css')
    await call('GET', '/fail')
    // chunked request body (a stream body is sent chunked) size is counted
    await call('POST', '/chunked', {}, Readable.from([Buffer.from('abcd'), Buffer.from('efgh')]))
  } finally {
    await pool.close()
    await engine.close()
  }

  const lines = readFileSync(join(dir, 'request.log'), 'utf8').trim().split('\n')
  assert.equal(lines.length, 4, lines.join('\n'))
  const m = LINE.exec(lines[0] as string)
  assert.ok(m, `unexpected line: ${lines[0]}`)
  const [
    ,
    ,
    ,
    ip,
    host,
    method,
    uri,
    version,
    reqSize,
    status,
    resSize,
    gtxn,
    ltxn,
    user,
    bearer,
    referer,
    ua,
    xff,
    worker,
    active,
  ] = m as RegExpExecArray
  assert.equal(ip, '127.0.0.1')
  assert.equal(host, `127.0.0.1:${port}`)
  assert.equal(method, 'POST')
  assert.equal(uri, '/api/x?y=1')
  assert.equal(version, 'HTTP/1.1')
  assert.equal(reqSize, '5')
  assert.equal(status, '201')
  assert.equal(resSize, '6')
  assert.equal(gtxn, 'GTID-caller-7')
  assert.equal(ltxn, '2002')
  assert.equal(user, '-')
  assert.equal(bearer, 'tok123')
  assert.equal(referer, '"http://ref.example/a"')
  assert.equal(ua, '"Test \\"Agent\\" 1.0"')
  assert.equal(xff, '10.1.2.3,10.0.0.1')
  assert.equal(worker, 'M')
  assert.ok(Number(active) >= 1)

  const plain = LINE.exec(lines[1] as string) as RegExpExecArray
  assert.equal(plain[6], '/plain')
  assert.match(plain[11] as string, /^GTID-[0-9a-f]{8}-R\d+$/, 'a new global id')
  assert.equal(plain[12], '1000')
  assert.equal(plain[16], '-')
  assert.ok(!lines.some((l) => l.includes('/static/app.js') || l.includes('site.css')), 'logOff paths are silent')
  const failed = LINE.exec(lines[2] as string) as RegExpExecArray
  assert.equal(failed[9], '500')
  const chunked = LINE.exec(lines[3] as string) as RegExpExecArray
  assert.equal(chunked[8], '8')

  const serverLog = readFileSync(join(dir, 'server.log'), 'utf8')
  assert.match(serverLog, new RegExp(`\\[error\\] ${failed[11]}/1000 GET /fail: Error: logged failure\\n\\s+at `))
})

test('logOff("/") and enableAccessLog(false) silence everything', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skitai-log-'))
  const engine = new Engine()
  engine.enableFileLogging(dir)
  engine.logOff('/')
  engine.mount('/', (_req: IncomingMessage, res: ServerResponse) => res.end('x'))
  const cli = engine.testClient()
  await cli.get('/a')
  await engine.close()
  assert.equal(readFileSync(join(dir, 'request.log'), 'utf8'), '')
})

test('an Express app (which swaps the response prototype) still gets body bytes and timing in the log', async () => {
  const { default: express } = await import('express')
  const dir = mkdtempSync(join(tmpdir(), 'skitai-log-'))
  const app = express()
  app.get('/chunks', (_req, res) => {
    res.write('abc')
    res.end('defg')
  })
  const engine = new Engine()
  engine.enableFileLogging(dir)
  engine.mount('/ex', app)
  const port = await engine.listen({ port: 0 })
  const pool = new Pool(`http://127.0.0.1:${port}`)
  try {
    const r = await pool.request({ method: 'GET', path: '/ex/chunks' })
    assert.equal(await r.body.text(), 'abcdefg')
  } finally {
    await pool.close()
    await engine.close()
  }
  const line = readFileSync(join(dir, 'request.log'), 'utf8').trim()
  const m = LINE.exec(line) as RegExpExecArray
  assert.ok(m, line)
  assert.equal(m[6], '/ex/chunks', 'the original URL is logged')
  assert.equal(m[10], '7', 'body bytes, not chunk framing')
})

test('requests the engine refuses itself (503 over capacity, 400 bad target, 404 unmounted, 413 before 100 Continue) still get a log line', async () => {
  const { raw, statuses, sleep } = await import('./helpers.js')
  const dir = mkdtempSync(join(tmpdir(), 'skitai-log-'))
  const engine = new Engine()
  engine.enableFileLogging(dir)
  engine.pref().maxInFlight = 1
  engine.pref().maxClientBodySize = 1000
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => {
    release = r
  })
  engine.mount('/slow', async (_req: IncomingMessage, res: ServerResponse) => {
    await gate
    res.end('done')
  })
  const port = await engine.listen({ port: 0 })
  const req = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`
  try {
    const slow = raw(port, req('/slow'), { ms: 10000 })
    for (let i = 0; i < 400 && engine.inFlight < 1; i++) await sleep(10)
    assert.deepEqual(statuses((await raw(port, req('/slow/busy'))).text), [503])
    release()
    assert.deepEqual(statuses((await slow).text), [200])
    for (let i = 0; i < 100 && engine.inFlight > 0; i++) await sleep(10)
    assert.deepEqual(statuses((await raw(port, req('ftp://odd/target'))).text), [400])
    assert.deepEqual(statuses((await raw(port, req('/nowhere'))).text), [404])
    const expect = 'POST /slow/big HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n'
    assert.deepEqual(statuses((await raw(port, expect, { until: (t) => t.includes('}') })).text), [413])
  } finally {
    release()
    await engine.close()
  }
  const lines = readFileSync(join(dir, 'request.log'), 'utf8').trim().split('\n')
  const seen = lines.map((l) => {
    const m = LINE.exec(l) as RegExpExecArray
    assert.ok(m, l)
    return `${m[6]} ${m[9]}`
  })
  assert.deepEqual(seen.sort(), [
    '/nowhere 404',
    '/slow 200',
    '/slow/big 413',
    '/slow/busy 503',
    'ftp://odd/target 400',
  ])
})
