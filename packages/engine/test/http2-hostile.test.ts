// Hostile HTTP/2 and TLS clients (README "HTTP/2 limits"): each leaves the server up and other clients served.
import assert from 'node:assert/strict'
import { connect as h2connect } from 'node:http2'
import { after, before, test } from 'node:test'
import { connect as tlsConnect } from 'node:tls'
import type { Engine } from '@skitai/engine'
import { frame, getRequest, headerBlock, ping, rawH2, rstStream, settings } from './h2-frames.js'
import { h2Get, quietEngine, raw, sleep } from './helpers.js'
import { makeCert } from './tls-cert.js'

let plain: Engine
let secure: Engine
let plainPort: number
let securePort: number
let handled = 0

function app(req: any, res: any): void {
  handled++
  if (req.url.startsWith('/slow')) setTimeout(() => res.end('slow'), 50)
  else res.end('ok')
}

before(async () => {
  plain = quietEngine()
  plain.mount('/', app)
  plainPort = await plain.listen({ port: 0 })
  const c = makeCert()
  secure = quietEngine()
  secure.enableSsl(c.cert, c.key)
  secure.mount('/', app)
  securePort = await secure.listen({ port: 0 })
})

after(async () => {
  await plain.close(1)
  await secure.close(1)
})

/** One GET over a fresh h2c connection: its status and body. */
async function h2get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  const s = h2connect(`http://127.0.0.1:${port}`)
  const failed = new Promise<never>((_, reject) => s.once('error', reject))
  failed.catch(() => {}) // an error after the answer is not this GET's
  try {
    return await Promise.race([h2Get(s, path), failed])
  } finally {
    s.close()
  }
}

test('a malformed preface closes that connection; the server goes on', async () => {
  const r = await raw(plainPort, 'PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n', { ms: 3000 })
  assert.equal(r.closed, true)
  assert.deepEqual(await h2get(plainPort), { status: 200, body: 'ok' })
})

test('a plain HTTP client on the TLS port gets a closed connection, not a hang', async () => {
  const t0 = performance.now()
  const r = await raw(securePort, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { ms: 5000 })
  assert.equal(r.closed, true)
  assert.ok(performance.now() - t0 < 4000)
  assert.doesNotMatch(r.text, /^HTTP\/1\.1 200/)
})

test('a TLS client on the plain port gets a closed connection, not a hang', async () => {
  const t0 = performance.now()
  const err = await new Promise<Error | null>((resolve) => {
    const s = tlsConnect({ port: plainPort, host: '127.0.0.1', rejectUnauthorized: false })
    s.on('secureConnect', () => resolve(null))
    s.on('error', (e) => resolve(e))
    s.on('close', () => resolve(new Error('closed')))
  })
  assert.ok(err !== null, 'the handshake must not succeed')
  assert.ok(performance.now() - t0 < 4000)
})

test('an oversize header block gets the stream refused; the session and others go on', async () => {
  const c = await rawH2(plainPort)
  // 100 KB of header values (the limit is 64 KiB), as HEADERS + CONTINUATION frames of 16 KiB
  const block = headerBlock([
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'localhost'],
    ...Array.from({ length: 10 }, (_, i): [string, string] => [`x-big-${i}`, 'v'.repeat(10_000)]),
  ])
  const parts: Buffer[] = []
  for (let off = 0; off < block.length; off += 16384) {
    const chunk = block.subarray(off, off + 16384)
    const last = off + 16384 >= block.length
    parts.push(off === 0 ? frame(0x1, 0x1 | (last ? 0x4 : 0), 1, chunk) : frame(0x9, last ? 0x4 : 0, 1, chunk))
  }
  const before = handled
  c.socket.write(Buffer.concat(parts))
  // then a small request on the same connection
  c.socket.write(getRequest(3, '/'))
  await until(() => c.frames.some((f) => f.stream === 3 && f.type === 0x0))
  const head = c.frames.find((f) => f.stream === 1 && f.type === 0x1)
  assert.equal(head?.status, 431, `frames: ${JSON.stringify(c.frames)}`)
  assert.equal(handled - before, 1, 'only the small request reached the app')
  c.socket.destroy()
  assert.deepEqual(await h2get(plainPort), { status: 200, body: 'ok' })
})

test('rapid reset: thousands of streams opened and reset; other clients are served', async () => {
  const before = handled
  const c = await rawH2(plainPort)
  const burst: Buffer[] = []
  for (let i = 0; i < 5000; i++) {
    const id = 1 + 2 * i
    burst.push(getRequest(id, '/slow'), rstStream(id))
  }
  c.socket.write(Buffer.concat(burst))
  const others = await Promise.all(Array.from({ length: 20 }, () => h2get(plainPort)))
  for (const o of others) assert.deepEqual(o, { status: 200, body: 'ok' })
  await Promise.race([c.closed, sleep(3000)])
  // GOAWAY ENHANCE_YOUR_CALM (0xb), and far fewer requests ran than were opened
  assert.ok(
    c.frames.some((f) => f.type === 0x7 && f.code === 0xb),
    JSON.stringify(c.frames.filter((f) => f.type === 7)),
  )
  assert.ok(c.socket.destroyed || c.socket.readableEnded, 'the attacking session is closed')
  assert.ok(handled - before - 20 < 2500, `${handled - before - 20} of 5000 reset streams reached the app`)
})

for (const [kind, make] of [
  ['PING', ping],
  ['SETTINGS', () => settings()],
] as const) {
  test(`a ${kind} flood from a client that never reads is cut off by node:http2; others are served`, async () => {
    const c = await rawH2(plainPort)
    c.socket.pause()
    for (let round = 0; round < 40 && !c.socket.destroyed; round++) {
      c.socket.write(Buffer.concat(Array.from({ length: 50_000 }, (_, i) => make(i))))
      await sleep(50)
    }
    await Promise.race([c.closed, sleep(3000)])
    assert.equal(c.socket.destroyed, true, 'the flooding connection is closed')
    assert.deepEqual(await h2get(plainPort), { status: 200, body: 'ok' })
  })
}

test('over maxConcurrentStreams (100) a stream is refused; the ones in flight finish', async () => {
  const c = await rawH2(plainPort)
  const burst: Buffer[] = []
  for (let i = 0; i < 110; i++) burst.push(getRequest(1 + 2 * i, '/slow'))
  c.socket.write(Buffer.concat(burst))
  await until(() => c.frames.filter((f) => f.type === 0x0 && f.stream !== 0).length >= 100)
  const refused = c.frames.filter((f) => f.type === 0x3 && f.code === 0x7 /* REFUSED_STREAM */)
  assert.ok(refused.length >= 10, `refused ${refused.length}: ${JSON.stringify(c.frames.slice(-5))}`)
  c.socket.destroy()
})

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = performance.now()
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error('timed out waiting')
    await sleep(20)
  }
}
