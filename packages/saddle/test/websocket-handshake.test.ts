// The WebSocket handshake through the app's checks (README "WebSocket routes"): protocol headers,
// 404, app/route auth with its challenge, Origin like CORS, before hooks, cookies in the 101, and the
// access-log line of each session. Over a real listening engine (cli.ws of a running server).
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { Engine, type TestClient, testClient } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { app } from './fixtures/ws-app/app.ts'
import { rawHandshake } from './ws-raw.ts'

let engine: Engine
let port: number
let cli: TestClient
const logDir = mkdtempSync(join(tmpdir(), 'skitai-wslog-'))

before(async () => {
  engine = new Engine()
  engine.enableFileLogging(logDir)
  engine.mount('/', app)
  engine.mount('/locked', lockedApp())
  port = await engine.listen({ port: 0 })
  cli = testClient({ port })
})
after(async () => {
  await cli.close()
  await engine.close(1)
})

/** An app behind app-wide digest auth, with a loginRequired route and hooks that count. */
const counts = { before: 0, after: 0, teardown: 0 }
function lockedApp(): Saddle {
  const locked = new Saddle(import.meta.url, { name: 'locked' })
  locked.authenticate = 'digest'
  locked.realm = 'locked'
  locked.users = { admin: 'secret' }
  locked.beforeRequest(() => {
    counts.before++
  })
  locked.afterRequest(() => {
    counts.after++
  })
  locked.teardownRequest(() => {
    counts.teardown++
  })
  locked.loginHandler((was) => (was.request.query.member === 'yes' ? undefined : was.Fault(403, 'members only')))
  locked.route('/ws/echo', { websocket: {} }, (_was, message) => `locked: ${message}`)
  locked.route(
    '/ws/members',
    { loginRequired: true, websocket: {} },
    (_was, message, member = 'no') => `${member}: ${message}`,
  )
  return locked
}

const refused = (status: number, text?: RegExp) => (e: any) => {
  assert.equal(e.status, status, e.message)
  if (text) assert.match(e.text, text)
  return true
}

test('a handshake with a bad or missing key, a wrong version or no Host → 400 naming the problem', async () => {
  const bad = await rawHandshake(port, '/ws/echo', { 'Sec-WebSocket-Key': 'not-a-key' })
  assert.equal(bad.status, 400)
  await bad.conn.ended
  assert.match(bad.conn.received().toString(), /invalid Sec-WebSocket-Key/)
  const none = await rawHandshake(port, '/ws/echo', { 'Sec-WebSocket-Key': '' })
  assert.equal(none.status, 400)
  const version = await rawHandshake(port, '/ws/echo', { 'Sec-WebSocket-Version': '8' })
  assert.equal(version.status, 400)
  assert.match(version.head, /sec-websocket-version: 13/i)
  const host = await rawHandshake(port, '/ws/echo', { Host: '' })
  assert.equal(host.status, 400)
  await host.conn.ended
  assert.match(host.conn.received().toString() + host.head, /Host/)
  // the server is fine afterwards
  const ws = await cli.ws('/ws/echo')
  await ws.send('ok')
  assert.equal(await ws.receive(), 'ECHO:ok')
  await ws.close()
})

test('no such route → 404; a plain GET of a WebSocket route → 426 Upgrade Required', async () => {
  await assert.rejects(cli.ws('/ws/nothing-here'), refused(404))
  const r = await cli.get('/ws/echo')
  assert.equal(r.status, 426)
  assert.equal(r.headers.upgrade, 'websocket')
})

test('route auth: 401 with the WWW-Authenticate challenge; with credentials → 101 and the user is known', async () => {
  await assert.rejects(cli.ws('/ws/private'), (e: any) => {
    assert.equal(e.status, 401)
    assert.match(String(e.headers['www-authenticate']), /^Basic realm=/)
    return true
  })
  await assert.rejects(
    cli.ws('/ws/private', { headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` } }),
    refused(401),
  )
  const ws = await cli.ws('/ws/private', {
    headers: { authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}` },
  })
  await ws.send('hi')
  assert.equal(await ws.receive(), 'admin: hi')
  await ws.close()
})

test('Origin is checked like CORS: foreign → 403, own origin and allowed partners → 101, none → 101 unless required', async () => {
  await assert.rejects(cli.ws('/ws/echo', { origin: 'http://evil.example' }), refused(403))
  const own = await cli.ws('/ws/echo', { origin: `http://127.0.0.1:${port}` })
  await own.close()
  const partner = await cli.ws('/ws/partners', { origin: 'http://good.example' })
  await partner.close()
  await assert.rejects(cli.ws('/ws/partners', { origin: 'http://bad.example' }), refused(403))
  await assert.rejects(cli.ws('/ws/strict'), refused(403, /requires an Origin/))
  const strict = await cli.ws('/ws/strict', { origin: `http://127.0.0.1:${port}` })
  await strict.close()
})

test('before hooks run for the handshake (once, not per message) and can refuse it', async () => {
  await assert.rejects(cli.ws('/ws/echo?deny=1'), refused(403, /denied by a before hook/))
  const before = (await cli.get('/stats')).json().handshakes
  const ws = await cli.ws('/ws/echo')
  for (let i = 0; i < 5; i++) {
    await ws.send(String(i))
    await ws.receive()
  }
  await ws.close()
  assert.equal((await cli.get('/stats')).json().handshakes, before + 1)
})

test('a cookie set during the handshake (wsinit) is in the 101', async () => {
  const ws = await cli.ws('/ws/cookie')
  await ws.send('x')
  assert.equal(await ws.receive(), 'cookie x')
  await ws.close()
  const raw = await rawHandshake(port, '/ws/cookie')
  assert.equal(raw.status, 101)
  assert.match(raw.head, /set-cookie: seen=yes/i)
  raw.conn.socket.destroy()
})

test('one access-log line per session: 101, messages in/out, duration', async () => {
  const ws = await cli.ws('/ws/events?name=logline')
  await ws.receive() // the welcome
  await ws.send('one')
  await ws.receive()
  await ws.send('two')
  await ws.receive()
  await new Promise((r) => setTimeout(r, 30))
  await ws.close()
  await new Promise((r) => setTimeout(r, 50))
  await engine.log.flush()
  const lines = readFileSync(join(logDir, 'request.log'), 'utf8').split('\n')
  const mine = lines.filter((l) => l.includes('/ws/events?name=logline'))
  assert.equal(mine.length, 1, lines.join('\n'))
  const f = mine[0]!.split(' ')
  assert.equal(f[4], 'GET')
  assert.equal(f[8], '101')
  assert.match(mine[0]!, / \d+ms \d+ms ws in=2 out=3 close=1000$/)
  assert.equal(f[2], '127.0.0.1')
  const duration = Number(/ (\d+)ms ws /.exec(mine[0]!)![1])
  assert.ok(duration >= 30, `session duration ${duration} ms`)
  // a refused handshake is logged as the request it was
  assert.ok(lines.some((l) => l.includes('/ws/echo?deny=1') && l.split(' ')[8] === '403'))
})

test('app-wide auth (an app gate): 401 with the digest challenge before anything else; guards refuse too', async () => {
  await assert.rejects(cli.ws('/locked/ws/echo'), (e: any) => {
    assert.equal(e.status, 401)
    assert.match(String(e.headers['www-authenticate']), /^Digest realm="locked"/)
    return true
  })
  // a gate answers before the route is even looked at
  await assert.rejects(cli.ws('/locked/ws/nothing'), refused(401))
  assert.equal(counts.before, 0)
})

test('with digest credentials: the loginRequired guard refuses or lets through, hooks run once per handshake', async () => {
  const { execFile } = await import('node:child_process')
  // curl computes the digest answer; the server's 101 (or refusal) status is what we read
  const curl = (path: string) =>
    new Promise<string>((resolve) => {
      execFile(
        'curl',
        [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '--digest',
          '-u',
          'admin:secret',
          '--max-time',
          '2',
          '-H',
          'Connection: Upgrade',
          '-H',
          'Upgrade: websocket',
          '-H',
          'Sec-WebSocket-Version: 13',
          '-H',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          `http://127.0.0.1:${port}${path}`,
        ],
        (_e, out) => resolve(out),
      )
    })
  assert.equal(await curl('/locked/ws/members'), '403') // loginRequired's handler refused it
  assert.equal(await curl('/locked/ws/members?member=yes'), '101')
  assert.equal(await curl('/locked/ws/echo'), '101')
  assert.equal(counts.before, 3)
  assert.equal(counts.teardown, 3)
  // as for HTTP, a guard's answer is a successful answer: after hooks follow all three
  assert.equal(counts.after, 3)
})
