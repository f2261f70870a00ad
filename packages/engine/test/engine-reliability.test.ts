import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { quietEngine, raw, sleep, statuses } from './helpers.js'

/**
 * Hostile clients against the engine's limits (README "Limits"): per-address caps, the body deadline and
 * minimum body rate, the handler deadline, half-closed clients, malformed absolute-form targets, and the
 * access log of responses that were never sent.
 */

/** A raw connection from `localAddress` that sends `data` and keeps what comes back. */
function hostile(port: number, data: string, localAddress = '127.0.0.1') {
  const s = connect({ port, host: '127.0.0.1', localAddress })
  const got = { text: '', closed: false, closedAt: 0 }
  s.on('data', (d) => {
    got.text += d.toString('latin1')
  })
  s.on('close', () => {
    got.closed = true
    got.closedAt = performance.now()
  })
  s.on('error', () => {})
  s.on('connect', () => s.write(data))
  return { socket: s as Socket, got }
}

async function until(what: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms
  while (!what()) {
    if (performance.now() > end) return false
    await sleep(10)
  }
  return true
}

const STALLED = 'POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789'
const GET_OK = 'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'

function counting(req: IncomingMessage, res: ServerResponse): void {
  let n = 0
  req.on('data', (c: Buffer) => {
    n += c.length
  })
  req.on('end', () => res.end(`got ${n}`))
}

describe('engine reliability', () => {
  const engine = quietEngine()
  const dir = mkdtempSync(join(tmpdir(), 'skitai-rel-'))
  let port = 0
  before(async () => {
    mkdirSync(join(dir, 'static'))
    writeFileSync(join(dir, 'static', 'hello.txt'), 'hello')
    engine.mount('/static', join(dir, 'static'))
    engine.mount('/count', counting)
    engine.mount('/ok', (_req: IncomingMessage, res: ServerResponse) => res.end('ok'))
    engine.mount('/later', (_req: IncomingMessage, res: ServerResponse) => {
      setTimeout(() => res.end('later'), 30)
    })
    engine.mount('/hang', () => new Promise(() => {}))
    engine.mount('/stream', (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('start ')
      setTimeout(() => res.end('end'), 1800)
    })
    port = await engine.listen({ port: 0 })
  })
  after(() => engine.close(0))

  test('a malformed absolute-form target (http://[::1) → 400, a valid one is routed', async () => {
    const bad = await raw(port, 'GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n', { ms: 1500 })
    assert.deepEqual(statuses(bad.text), [400])
    assert.match(bad.text, /bad request target/)
    const good = await raw(port, 'GET http://[::1]:80/ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    assert.deepEqual(statuses(good.text), [200])
  })

  test('HTTP/0.9 and HTTP/2.0 request lines → 505; a malformed chunk in a body being read → 400', async () => {
    for (const line of ['GET /ok', 'GET /ok HTTP/2.0']) {
      const r = await raw(port, `${line}\r\nHost: x\r\n\r\n`, { ms: 1500 })
      assert.deepEqual(statuses(r.text), [505], line)
      assert.match(r.text, /HTTP version not supported/)
    }
    for (const chunk of ['zz\r\nabc\r\n', 'fffffffffffffffffff\r\nabc\r\n', '2\r\nabcdef\r\n']) {
      const r = await raw(
        port,
        `POST /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}0\r\n\r\n`,
        {
          ms: 1500,
        },
      )
      assert.deepEqual(statuses(r.text), [400], JSON.stringify(chunk))
      assert.match(r.text, /bad request body/)
      assert.equal(r.closed, true)
    }
  })

  test('a client that half-closes after its request still gets the answer (static file, async handler)', async () => {
    for (const path of ['/static/hello.txt', '/later']) {
      const c = connect(port, '127.0.0.1')
      let text = ''
      c.on('data', (d) => {
        text += d.toString('latin1')
      })
      c.on('connect', () => c.end(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`))
      await new Promise((r) => c.on('close', r))
      assert.deepEqual(statuses(text), [200], `${path}: ${text}`)
      assert.match(text, path === '/later' ? /later$/ : /hello$/)
    }
  })

  test('per-address in-flight cap: stalled posts beyond it get 429, another address is served at once', async () => {
    engine.pref().maxInFlightPerAddress = 20
    engine.pref().minBodyRate = 0
    const clients = Array.from({ length: 30 }, () => hostile(port, STALLED))
    try {
      assert.ok(
        await until(() => clients.filter((c) => c.got.text.includes('429')).length === 10, 5000),
        'ten of thirty stalled posts are refused',
      )
      const refused = clients.find((c) => c.got.text.includes('429'))!
      assert.match(refused.got.text, /too many requests in flight from your address: the limit is 20/)
      assert.match(refused.got.text, /Retry-After: \d+/i)
      const t0 = performance.now()
      const same = await raw(port, GET_OK)
      assert.deepEqual(statuses(same.text), [429], 'the same address over its cap is refused')
      // a second address (127.0.0.2 is this host too) is not counted with the first
      const fromOther = hostile(port, GET_OK, '127.0.0.2')
      assert.ok(await until(() => fromOther.got.closed, 3000))
      assert.deepEqual(statuses(fromOther.got.text), [200])
      assert.ok(performance.now() - t0 < 3000)
    } finally {
      for (const c of clients) c.socket.destroy()
      engine.pref().maxInFlightPerAddress = 500
      engine.pref().minBodyRate = 512
    }
    assert.ok(await until(() => engine.inFlight === 0, 3000), `in flight: ${engine.inFlight}`)
  })

  test('per-address connection cap: a connection beyond it gets 429 and is closed', async () => {
    engine.pref().maxConnectionsPerAddress = 5
    const idle = Array.from({ length: 5 }, () => connect(port, '127.0.0.1'))
    try {
      await Promise.all(idle.map((s) => new Promise((r) => s.on('connect', r))))
      const over = await raw(port, GET_OK, { ms: 3000 })
      assert.deepEqual(statuses(over.text), [429])
      assert.match(over.text, /too many connections from your address: the limit is 5/)
      assert.equal(over.closed, true)
      const other = hostile(port, GET_OK, '127.0.0.2')
      assert.ok(await until(() => other.got.closed, 3000))
      assert.deepEqual(statuses(other.got.text), [200])
    } finally {
      for (const s of idle) s.destroy()
      engine.pref().maxConnectionsPerAddress = 1000
    }
  })

  test('body deadline: a body still incomplete after setBodyTimeout gets 408 and its connection closes', async () => {
    engine.pref().minBodyRate = 0
    engine.setBodyTimeout(1)
    const c = hostile(port, STALLED)
    try {
      assert.ok(await until(() => c.got.closed, 6000), 'the stalled connection is closed')
      assert.deepEqual(statuses(c.got.text), [408])
      assert.match(c.got.text, /request body timeout: the body did not arrive within 1 s/)
    } finally {
      c.socket.destroy()
      engine.setBodyTimeout(300)
      engine.pref().minBodyRate = 512
    }
  })

  test('minimum body rate: a body trickling one byte every 200 ms is cut after the grace period', async () => {
    engine.pref().minBodyRate = 100
    engine.pref().bodyRateGraceSeconds = 1
    const c = hostile(port, 'POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n')
    const drip = setInterval(() => c.socket.writable && c.socket.write('x'), 200)
    try {
      assert.ok(await until(() => c.got.closed, 6000), 'the trickling connection is closed')
      assert.deepEqual(statuses(c.got.text), [408])
      assert.match(c.got.text, /request body too slow: \d+ bytes\/s, the minimum is 100 bytes\/s/)
      // a body at a normal pace is not touched
      const fast = await raw(
        port,
        `POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc`,
      )
      assert.match(fast.text, /got 3$/)
    } finally {
      clearInterval(drip)
      c.socket.destroy()
      engine.pref().minBodyRate = 512
      engine.pref().bodyRateGraceSeconds = 10
    }
  })

  test('handler deadline: a handler that never settles gets 503; a response already streaming is left alone', async () => {
    engine.setHandlerTimeout(1)
    try {
      const hung = await raw(port, 'GET /hang HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n', {
        ms: 6000,
        until: (t) => t.includes('}'),
      })
      assert.deepEqual(statuses(hung.text), [503])
      assert.match(hung.text, /handler timeout: no answer within 1 s/)
      const stream = await raw(port, 'GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { ms: 6000 })
      assert.deepEqual(statuses(stream.text), [200])
      assert.match(stream.text, /start \r\n3\r\nend\r\n0\r\n\r\n$/)
    } finally {
      engine.setHandlerTimeout(60)
    }
  })
})

test('access log: a response never sent (client gone) is logged 499 0, not 200 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skitai-rel-log-'))
  const engine = new Engine()
  engine.enableFileLogging(dir)
  engine.mount('/hang', () => new Promise(() => {}))
  engine.mount('/ok', (_req: IncomingMessage, res: ServerResponse) => res.end('ok'))
  const port = await engine.listen({ port: 0 })
  try {
    const c = connect(port, '127.0.0.1')
    c.on('error', () => {})
    await new Promise((r) => c.on('connect', r))
    c.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n')
    await until(() => engine.inFlight === 1, 2000)
    c.resetAndDestroy()
    assert.ok(await until(() => engine.inFlight === 0, 3000), 'the request is counted out')
    await raw(port, GET_OK)
  } finally {
    await engine.close(0)
  }
  const lines = readFileSync(join(dir, 'request.log'), 'utf8').trim().split('\n')
  const hang = lines.find((l) => l.includes(' /hang '))
  assert.ok(hang, lines.join('\n'))
  assert.match(hang, / HTTP\/1\.1 0 499 0 /)
  assert.match(lines.find((l) => l.includes(' /ok ')) ?? '', / HTTP\/1\.1 0 200 2 /)
})
