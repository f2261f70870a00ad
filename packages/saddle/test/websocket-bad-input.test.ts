// Hostile and broken WebSocket clients (README "WebSocket routes"): each close code, a 100 MB frame
// announced in its header, a burst of 10,000 pings, a client that does not read, a dead peer, idle
// connections and handlers that throw. After each, the server is up and other sessions are unaffected.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Engine, type TestClient, type TestWebSocket, testClient } from '@skitai/engine'
import { app } from './fixtures/ws-app/app.ts'
import { closeCodeIn, frame, headerOnly, rawHandshake } from './ws-raw.ts'

let engine: Engine
let port: number
let cli: TestClient
/** A session kept open through every test: it must keep working. */
let bystander: TestWebSocket

before(async () => {
  engine = new Engine()
  engine.enableAccessLog(false)
  engine.mount('/', app)
  port = await engine.listen({ port: 0 })
  cli = testClient({ port })
  bystander = await cli.ws('/ws/echo')
})
after(async () => {
  await bystander.close()
  await cli.close()
  await engine.close(1)
})

async function bystanderWorks(): Promise<void> {
  const m = `still here ${Math.random()}`
  await bystander.send(m)
  assert.equal(await bystander.receive(), `ECHO:${m}`)
}

async function closesOf(path: string): Promise<number[]> {
  return (await cli.get('/stats')).json().closes[path] ?? []
}

test('a message over maxMessageSize → close 1009', async () => {
  const ws = await cli.ws('/ws/limits')
  await ws.send('x'.repeat(1000))
  assert.equal(await ws.receive(), 'len 1000')
  await ws.send('x'.repeat(1025))
  assert.equal((await ws.closed).code, 1009)
  await bystanderWorks()
})

test('fragmented messages are put together, and count against the limit as a whole', async () => {
  const raw = await rawHandshake(port, '/ws/limits')
  assert.equal(raw.status, 101)
  const s = raw.conn.socket
  s.write(frame(1, Buffer.from('abc'), { fin: false }))
  s.write(frame(0, Buffer.from('def'), { fin: false }))
  s.write(frame(0, Buffer.from('gh')))
  await new Promise((r) => setTimeout(r, 100))
  assert.match(raw.conn.received().toString('latin1'), /len 8/)
  // three fragments of 400 bytes: 1200 > 1024 together
  for (let i = 0; i < 3; i++) s.write(frame(i === 0 ? 1 : 0, Buffer.alloc(400, 97), { fin: i === 2 }))
  await raw.conn.ended
  assert.equal(closeCodeIn(raw.conn.received()), 1009)
})

test('a 100 MB frame announced in the header is refused before it is read (1009)', async () => {
  const raw = await rawHandshake(port, '/ws/echo')
  const rss = process.memoryUsage().rss
  const t0 = performance.now()
  raw.conn.socket.write(headerOnly(2, 100 * 1024 * 1024))
  await raw.conn.ended
  assert.equal(closeCodeIn(raw.conn.received()), 1009)
  assert.ok(performance.now() - t0 < 2000)
  assert.ok(process.memoryUsage().rss - rss < 50 * 1024 * 1024, 'nothing near 100 MB was allocated')
  await bystanderWorks()
})

test('invalid UTF-8 in a text frame → close 1007', async () => {
  const raw = await rawHandshake(port, '/ws/echo')
  raw.conn.socket.write(frame(1, Buffer.from([0x68, 0xff, 0xfe, 0x69])))
  await raw.conn.ended
  assert.equal(closeCodeIn(raw.conn.received()), 1007)
  await bystanderWorks()
})

test('an unmasked client frame → close 1002', async () => {
  const raw = await rawHandshake(port, '/ws/echo')
  raw.conn.socket.write(frame(1, Buffer.from('hello'), { mask: false }))
  await raw.conn.ended
  assert.equal(closeCodeIn(raw.conn.received()), 1002)
  await bystanderWorks()
})

test('invalid JSON on a json route → close 1007 naming the problem', async () => {
  const ws = await cli.ws('/ws/json')
  await ws.send('{not json')
  const c = await ws.closed
  assert.equal(c.code, 1007)
  assert.match(c.reason, /invalid JSON message/)
})

test('10,000 pings in a burst: the flooder is cut (ping-flood guard), the server and other sessions carry on', async () => {
  const pongsIn = (got: Buffer) => {
    // every pong is 3 bytes (0x8a, length 1, 'p')
    let n = 0
    for (let i = 0; i + 2 < got.length; i++) if (got[i] === 0x8a && got[i + 1] === 1 && got[i + 2] === 0x70) n++
    return n
  }
  const ping = frame(9, Buffer.from('p'))
  // a burst within the guard (ws answers up to 60 pongs not yet written) is answered in full
  const ok = await rawHandshake(port, '/ws/echo')
  ok.conn.socket.write(Buffer.concat(Array.from({ length: 50 }, () => ping)))
  ok.conn.socket.write(frame(1, Buffer.from('after the pings')))
  const deadline = Date.now() + 5000
  while (!ok.conn.received().includes('ECHO:after the pings') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20))
  }
  assert.ok(ok.conn.received().includes('ECHO:after the pings'))
  assert.equal(pongsIn(ok.conn.received()), 50)
  ok.conn.socket.destroy()

  const flood = await rawHandshake(port, '/ws/echo')
  const rss = process.memoryUsage().rss
  flood.conn.socket.write(Buffer.concat(Array.from({ length: 10_000 }, () => ping)))
  await flood.conn.ended
  assert.ok(pongsIn(flood.conn.received()) < 10_000, 'cut before answering them all')
  assert.ok(process.memoryUsage().rss - rss < 30 * 1024 * 1024)
  await bystanderWorks()
  const fresh = await cli.ws('/ws/echo')
  await fresh.send('new')
  assert.equal(await fresh.receive(), 'ECHO:new')
  await fresh.close()
})

test('a client that does not read: the outgoing queue is bounded and the server closes it with 1008', async () => {
  const ws = await cli.ws('/ws/flood')
  ;(ws.socket as any)._socket.pause() // stop reading: the kernel buffers fill, then the server's queue
  await ws.send('go')
  const deadline = Date.now() + 10_000
  while ((await closesOf('/ws/flood')).length === 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50))
  assert.deepEqual(await closesOf('/ws/flood'), [1008])
  // it stopped after a bounded amount: the kernel's buffers plus 256 KiB, not everything it tried to send
  const sent = (await cli.get('/stats')).json().closes['/ws/flood/sent'][0]
  assert.ok(sent < 400, `${sent} chunks of 64 KiB went out before the cut`)
  ws.socket.terminate()
  await bystanderWorks()
})

test('a dead peer (pings unanswered) is cut after the ping interval', async () => {
  const ws = await cli.ws('/ws/ping', { autoPong: false })
  const t0 = performance.now()
  await ws.closed
  const took = performance.now() - t0
  assert.ok(took >= 200 && took < 3000, `cut after ${Math.round(took)} ms`)
  assert.deepEqual(await closesOf('/ws/ping'), [1006])
  // a live peer on the same route stays
  const live = await cli.ws('/ws/ping')
  await new Promise((r) => setTimeout(r, 700))
  await live.send('alive')
  assert.equal(await live.receive(), 'alive')
  await live.close()
})

test('the idle timeout closes a silent connection with 1000; messages keep it open', async () => {
  const busy = await cli.ws('/ws/limits')
  const idle = await cli.ws('/ws/limits')
  const t0 = performance.now()
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 120))
    await busy.send('x')
    await busy.receive()
  }
  const c = await idle.closed
  assert.equal(c.code, 1000)
  assert.equal(c.reason, 'idle timeout')
  assert.ok(performance.now() - t0 >= 400)
  await busy.send('still')
  assert.equal(await busy.receive(), 'len 5')
  await busy.close()
})

test('a handler that throws: the connection closes with 1011, the server goes on', async () => {
  const ws = await cli.ws('/ws/crash')
  await ws.send('fine')
  assert.equal(await ws.receive(), 'fine')
  await ws.send('boom')
  assert.equal((await ws.closed).code, 1011)
  assert.ok((await closesOf('/ws/crash')).includes(1011))
  await bystanderWorks()
})
