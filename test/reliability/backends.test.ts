import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { figure, GET, request, scale, startTarget, type Target } from './harness.js'

/**
 * Backend faults behind the target: alias members that are down (refuse connections), hang (accept and
 * never answer) or close mid-body, reached through an `@alias` reverse-proxy mount and through
 * `was.get(...).fetch()` in a Saddle handler. Every client request must get an answer (502/504, or a cut
 * connection once a proxied response has started), fail-over must serve the healthy member, and the
 * target must be left with nothing in flight.
 */

/** A raw TCP backend; `behave` decides what each connection gets. */
async function backend(behave: (s: Socket) => void): Promise<{ port: number; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    behave(s)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { port: (server.address() as { port: number }).port, server, sockets }
}

/** Answer each request head with a small 200 (keep-alive), enough for a proxy and an undici client. */
function good(s: Socket): void {
  let buf = ''
  s.on('data', (d) => {
    buf += d.toString('latin1')
    while (buf.includes('\r\n\r\n')) {
      buf = buf.slice(buf.indexOf('\r\n\r\n') + 4)
      s.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"from":"ok"}')
    }
  })
}

/** The head and 10 of 1,000 promised bytes, then the connection is closed. */
function midBody(s: Socket): void {
  s.once('data', () => {
    s.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"partial"')
    setTimeout(() => s.destroy(), 30)
  })
}

describe('backend faults behind the target', () => {
  let target: Target
  const servers: { server: Server; sockets: Set<Socket> }[] = []
  let downPort = 0
  before(async () => {
    const down = await backend(() => {})
    downPort = down.port
    await new Promise<void>((r) => down.server.close(() => r()))
    const hang = await backend(() => {})
    const mid = await backend(midBody)
    const ok = await backend(good)
    servers.push(hang, mid, ok)
    const m = (p: number) => `127.0.0.1:${p}`
    target = await startTarget({
      BACKENDS: JSON.stringify({
        down: [m(downPort)],
        hang: [m(hang.port)],
        mid: [m(mid.port)],
        mixed: [m(downPort), m(ok.port)],
      }),
      BACKEND_TIMEOUT: 1,
    })
  })
  after(async () => {
    await target.stop()
    for (const { server, sockets } of servers) {
      for (const s of sockets) s.destroy()
      server.close()
    }
  })

  test('members down, hanging or closing mid-body: every request answered; fail-over serves the healthy one', async () => {
    const cases: [string, number[], string][] = [
      ['/p/down/x', [502], 'proxy, member down'],
      ['/p/hang/x', [504], 'proxy, member hangs'],
      ['/via/down', [502], 'was.get, member down'],
      ['/via/hang', [502, 504], 'was.get, member hangs'],
      ['/via/mid', [502], 'was.get, member closes mid-body'],
    ]
    let unanswered = 0
    for (const [path, allowed, what] of cases) {
      const r = await request(target.port, GET(path), { ms: 10_000 })
      if (r.status === 0) unanswered++
      assert.ok(allowed.includes(r.status), `${what} (${path}): ${r.status} ${r.body.slice(0, 200)}`)
      figure('backends', what, `${r.status} in ${(r.ms / 1000).toFixed(2)}`, 's')
    }
    // a proxied response that has started cannot change its status: the client connection is cut
    const cut = await request(target.port, GET('/p/mid/x'), { ms: 10_000 })
    assert.equal(cut.status, 200)
    assert.ok(cut.closed && cut.body.length < 1000, 'the client sees the cut, not a complete body')
    figure('backends', 'proxy, member closes mid-body', 'client connection cut after the head')

    const n = scale(200, 30)
    let failedOver = 0
    for (let i = 0; i < n; i++) {
      const [p, v] = await Promise.all([
        request(target.port, GET('/p/mixed/x'), { ms: 10_000 }),
        request(target.port, GET('/via/mixed'), { ms: 10_000 }),
      ])
      if (p.status === 200 && v.status === 200 && v.body.includes('"ok"')) failedOver++
    }
    figure('backends', `alias of one member down and one up: ${n} proxy + ${n} was.get pairs answered 200`, failedOver)
    assert.equal(failedOver, n)
    figure('backends', 'unanswered', unanswered)
    assert.equal(unanswered, 0)
    const st = await target.status()
    figure('backends', 'requests left in flight afterwards', st.inFlight - 1)
    assert.equal(st.inFlight, 1, 'only the status request itself')
  })
})
