// HTTP/2 sessions and responses (README "HTTP/2 and TLS"): an idle session is closed with GOAWAY after the keep-alive
// time and a busy one is not; the per-address caps (README "Limits") count HTTP/2 streams and TLS
// connections like plain HTTP/1.1 ones.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { connect as h2connect } from 'node:http2'
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Engine } from '@skitai/engine'
import { h2Get, quietEngine, sleep } from './helpers.js'
import { makeCert } from './tls-cert.js'

function slowApp(req: any, res: any): void {
  if (req.url.startsWith('/slow')) setTimeout(() => res.end('slow'), 400)
  else res.end('ok')
}

const get = h2Get

test('an idle h2c session gets GOAWAY after the keep-alive time (plus its grace); a busy one stays open', async () => {
  const engine = quietEngine()
  engine.setKeepAlive(1)
  engine.mount('/', slowApp)
  const port = await engine.listen({ port: 0 })
  try {
    const idle = h2connect(`http://127.0.0.1:${port}`)
    idle.on('error', () => {})
    const busy = h2connect(`http://127.0.0.1:${port}`)
    busy.on('error', () => {})
    assert.equal((await get(idle, '/')).body, 'ok')
    const lastRequest = performance.now()
    const idleClosed = new Promise<number>((resolve) => idle.once('close', () => resolve(performance.now())))
    let busyClosed = false
    busy.once('close', () => {
      busyClosed = true
    })
    // the busy session asks every 300 ms for 3 s: longer than the idle time, never idle that long
    for (let i = 0; i < 10; i++) {
      assert.equal((await get(busy, '/')).status, 200)
      await sleep(300)
    }
    const closedAt = await idleClosed
    const idleFor = closedAt - lastRequest
    // keep-alive 1 s + 1 s grace, swept every 500 ms
    assert.ok(idleFor >= 1900 && idleFor < 3200, `idle session closed after ${Math.round(idleFor)} ms`)
    assert.equal(busyClosed, false, 'the busy session was closed')
    assert.equal((await get(busy, '/')).body, 'ok')
    busy.close()
  } finally {
    await engine.close(1)
  }
})

test('a stream in flight when an idle sweep closes its session still gets its answer (GOAWAY is graceful)', async () => {
  const engine = quietEngine()
  engine.setKeepAlive(1)
  engine.mount('/', (req: any, res: any) => {
    // answers after the session has been quiet (no new request) for longer than the idle time
    if (req.url === '/long') setTimeout(() => res.end('late'), 2600)
    else res.end('ok')
  })
  const port = await engine.listen({ port: 0 })
  try {
    const s = h2connect(`http://127.0.0.1:${port}`)
    s.on('error', () => {})
    const r = await get(s, '/long')
    assert.deepEqual(r, { status: 200, body: 'late' })
    s.close()
  } finally {
    await engine.close(1)
  }
})

test('maxInFlightPerAddress counts HTTP/2 streams: the third stream in flight from one address gets 429', async () => {
  const engine = quietEngine()
  engine.pref().maxInFlightPerAddress = 2
  engine.mount('/', slowApp)
  const port = await engine.listen({ port: 0 })
  try {
    const s = h2connect(`http://127.0.0.1:${port}`)
    s.on('error', () => {})
    const answers = await Promise.all([get(s, '/slow/1'), get(s, '/slow/2'), get(s, '/slow/3')])
    const statuses = answers.map((a) => a.status).sort()
    assert.deepEqual(statuses, [200, 200, 429])
    assert.match(answers.find((a) => a.status === 429)!.body, /too many requests in flight from your address/)
    // once they are answered the address may send again
    assert.equal((await get(s, '/')).status, 200)
    s.close()
  } finally {
    await engine.close(1)
  }
})

test('the per-address caps apply over TLS too: HTTPS/1.1 connections and h2 streams', async () => {
  const c = makeCert()
  const engine = quietEngine()
  engine.enableSsl(c.cert, c.key)
  engine.pref().maxInFlightPerAddress = 2
  engine.mount('/', slowApp)
  const port = await engine.listen({ port: 0 })
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 10, rejectUnauthorized: false })
  try {
    const one = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const r = httpsRequest({ host: '127.0.0.1', port, path, agent, rejectUnauthorized: false }, (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
        })
        r.on('error', reject)
        r.end()
      })
    const https1 = await Promise.all([one('/slow/a'), one('/slow/b'), one('/slow/c')])
    assert.deepEqual(https1.sort(), [200, 200, 429], 'HTTPS/1.1')
    const s = h2connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false })
    s.on('error', () => {})
    const h2 = await Promise.all([get(s, '/slow/1'), get(s, '/slow/2'), get(s, '/slow/3')])
    assert.deepEqual(h2.map((a) => a.status).sort(), [200, 200, 429], 'h2 over TLS')
    s.close()
  } finally {
    agent.destroy()
    await engine.close(1)
  }
})

test('h2 answers carry a current Date header; one the app sets (writeHead or setHeader) wins', async () => {
  const engine = quietEngine()
  engine.mount('/', (req: any, res: any) => {
    if (req.url === '/own-head') res.writeHead(200, { date: 'Tue, 01 Jan 2030 00:00:00 GMT' })
    else if (req.url === '/own-set') {
      res.setHeader('Date', 'Wed, 02 Jan 2030 00:00:00 GMT')
      res.writeHead(200)
    } else res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('x')
  })
  const port = await engine.listen({ port: 0 })
  try {
    const s = h2connect(`http://127.0.0.1:${port}`)
    s.on('error', () => {})
    const dateOf = (path: string) =>
      new Promise<string>((resolve, reject) => {
        const r = s.request({ ':path': path })
        r.on('response', (h) => resolve(String(h.date)))
        r.on('error', reject)
        r.resume()
      })
    const d = await dateOf('/')
    assert.ok(Math.abs(Date.parse(d) - Date.now()) < 2000, `Date ${d}`)
    assert.equal(await dateOf('/own-head'), 'Tue, 01 Jan 2030 00:00:00 GMT')
    assert.equal(await dateOf('/own-set'), 'Wed, 02 Jan 2030 00:00:00 GMT')
    s.close()
  } finally {
    await engine.close(1)
  }
})

test('an h2 connection over TLS is its session only: a graceful shutdown finishes its stream, a cut counts it once', async () => {
  const c = makeCert()
  const dir = mkdtempSync(join(tmpdir(), 'skitai-h2tls-log-'))
  const engine = new Engine()
  engine.enableFileLogging(dir)
  engine.enableSsl(c.cert, c.key)
  engine.mount('/', (req: any, res: any) => {
    if (req.url === '/slow') setTimeout(() => res.end('slow'), 300)
    else if (req.url === '/hung') return
    else res.end('ok')
  })
  const port = await engine.listen({ port: 0 })
  const s = h2connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false })
  s.on('error', () => {})
  assert.equal((await get(s, '/')).body, 'ok')
  // in flight at the shutdown: /slow finishes within the grace; /hung is cut when it is over
  const slow = get(s, '/slow')
  const hung = get(s, '/hung').catch(() => null)
  await sleep(50)
  await engine.close(1)
  assert.deepEqual(await slow, { status: 200, body: 'slow' })
  await hung
  s.destroy()
  const log = readFileSync(join(dir, 'server.log'), 'utf8')
  assert.match(log, /cutting 1 connection\(s\), 1 request\(s\) unanswered/, log)
})
