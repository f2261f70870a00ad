// The original's WebSocket scenarios (README "WebSocket routes") through the in-process test client's
// cli.ws: echo, echo with onopen, the threadsafe "chatty" route, a session generator, groupchat rooms,
// json and binary frames.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { testClient } from '@skitai/engine'
import { app } from './fixtures/ws-app/app.ts'

const cli = testClient(app)
after(() => cli.close())

test('the first connection is client 0: onopen returns "Welcome Client 0", then 1st and 2nd in order', async () => {
  const ws = await cli.ws('/ws/echo2')
  assert.equal(await ws.receive(), 'Welcome Client 0')
  await ws.send('hello')
  assert.equal(await ws.receive(), '1st: hello')
  assert.equal(await ws.receive(), '2nd: hello')
  await ws.send('again')
  assert.deepEqual([await ws.receive(), await ws.receive()], ['1st: again', '2nd: again'])
  assert.deepEqual(await ws.close(), { code: 1000, reason: '' })
})

test('/ws/echo answers each message', async () => {
  const ws = await cli.ws('/ws/echo')
  for (const m of ['a', 'b', 'ünïcode ✓']) {
    await ws.send(m)
    assert.equal(await ws.receive(), `ECHO:${m}`)
  }
  await ws.close()
})

test('event style: the handler sees wsinit/wsopened and its query argument', async () => {
  const ws = await cli.ws('/ws/events?name=Amber')
  assert.match(String(await ws.receive()), /^Welcome Client \d+ \(Amber\)$/)
  await ws.send('hi')
  assert.equal(await ws.receive(), 'Amber said: hi')
  await ws.close()
  const anon = await cli.ws('/ws/events')
  assert.match(String(await anon.receive()), /\(anonymous\)$/)
  await anon.close()
})

test('threadsafe "chatty": pre2nd / 2nd (from a timer) / post2nd in order, message after message', async () => {
  const ws = await cli.ws('/ws/chatty')
  await ws.send('A')
  await ws.send('B')
  const got: string[] = []
  for (let i = 0; i < 6; i++) got.push(String(await ws.receive()))
  assert.deepEqual(got, ['pre2nd A', '2nd A', 'post2nd A', 'pre2nd B', '2nd B', 'post2nd B'])
  await ws.close()
})

test('simple spec handles messages concurrently (a slow one does not hold up the next)', async () => {
  const ws = await cli.ws('/ws/unordered')
  await ws.send('slow')
  await ws.send('fast')
  assert.deepEqual([await ws.receive(), await ws.receive()], ['fast', 'slow'])
  await ws.close()
})

test('session generator with ?a=AMBER: hi, first message, AMBER: Hello, World — and keeps its state', async () => {
  const ws = await cli.ws('/ws/session?a=AMBER')
  assert.equal(await ws.receive(), 'hi')
  await ws.send('Hello, World')
  assert.equal(await ws.receive(), 'first message')
  assert.equal(await ws.receive(), 'AMBER: Hello, World')
  await ws.send('second')
  assert.equal(await ws.receive(), 'AMBER: second')
  assert.equal(await ws.receive(), 'message #2')
  // returning from the generator closes with 1000
  await ws.send('bye')
  assert.equal((await ws.closed).code, 1000)
})

test('session spec: messages sent in a burst wait for the generator, in order', async () => {
  const ws = await cli.ws('/ws/session?a=Q')
  assert.equal(await ws.receive(), 'hi')
  for (let i = 1; i <= 5; i++) await ws.send(`m${i}`)
  const got: string[] = []
  for (let i = 0; i < 1 + 5 + 4; i++) got.push(String(await ws.receive()))
  assert.deepEqual(got.slice(0, 3), ['first message', 'Q: m1', 'Q: m2'])
  assert.equal(got.at(-1), 'message #5')
  await ws.close()
})

test('async generator with json encoding keeps a running total', async () => {
  const ws = await cli.ws('/ws/asyncsession?start=10')
  await ws.send({ add: 5 })
  assert.deepEqual(await ws.receiveJson(), { total: 15 })
  await ws.send({ add: -20 })
  assert.deepEqual(await ws.receiveJson(), { total: -5 })
  await ws.close()
})

test('groupchat: without roomid → 400; with ?roomid=1 → 101; a room hears its members, another room does not', async () => {
  await assert.rejects(cli.ws('/ws/chat'), (e: any) => {
    assert.equal(e.status, 400)
    assert.match(e.text, /missing parameter: roomid/)
    return true
  })
  const a = await cli.ws('/ws/chat?roomid=1')
  const aId = Number(/Client (\d+) has entered room 1/.exec(String(await a.receive()))![1])
  const b = await cli.ws('/ws/chat?roomid=1')
  const entered = String(await b.receive())
  assert.match(entered, /has entered room 1/)
  assert.equal(await a.receive(), entered) // the whole room hears who entered
  const c = await cli.ws('/ws/chat?roomid=2')
  assert.match(String(await c.receive()), /has entered room 2/)

  await a.send('hello room')
  assert.equal(await a.receive(), `Client ${aId} Said: hello room`)
  assert.equal(await b.receive(), `Client ${aId} Said: hello room`)
  await assert.rejects(c.receive(200), /no WebSocket message/)

  // to one member by client id, and the member list
  const bId = Number(/Client (\d+)/.exec(entered)![1])
  await a.send(`dm ${bId} psst`)
  assert.equal(await b.receive(), `dm from ${aId}: psst`)
  await b.send('who')
  assert.equal(await b.receive(), `members: ${[aId, bId].join(',')}`)
  await assert.rejects(a.receive(200), /no WebSocket message/)

  await b.close()
  assert.equal(await a.receive(), `Client ${bId} has left`)
  await a.close()
  await c.close()
})

test('json encoding parses incoming and serializes outgoing messages', async () => {
  const ws = await cli.ws('/ws/json')
  await ws.send({ n: 41, s: 'x' })
  assert.deepEqual(await ws.receiveJson(), { got: { n: 41, s: 'x' }, n: 42 })
  await ws.close()
})

test('binary frames: a Buffer in, a Buffer out; text stays text', async () => {
  const ws = await cli.ws('/ws/bytes')
  await ws.send(Buffer.from([1, 2, 3, 250]))
  const got = await ws.receive()
  assert.ok(Buffer.isBuffer(got))
  assert.deepEqual([...(got as Buffer)], [250, 3, 2, 1])
  await ws.send('abc')
  assert.equal(await ws.receive(), 'text: abc')
  await ws.close()
})

test('a text message returned unchanged comes back as the same text (multi-byte too), a binary one as bytes', async () => {
  const ws = await cli.ws('/ws/same')
  for (const m of ['abc', 'ünïcode ✓ 日本語 🎉', '']) {
    await ws.send(m)
    const got = await ws.receive()
    assert.equal(typeof got, 'string')
    assert.equal(got, m)
  }
  await ws.send(Buffer.from([0xff, 0, 1]))
  const bytes = await ws.receive()
  assert.ok(Buffer.isBuffer(bytes))
  assert.deepEqual([...(bytes as Buffer)], [0xff, 0, 1])
  await ws.close()
})

test('URL variables and query arguments fill the other parameters; a missing one → 400', async () => {
  const ws = await cli.ws('/ws/typed/7?label=seven')
  await ws.send('go')
  assert.equal(await ws.receive(), '7 seven go')
  await ws.close()
  await assert.rejects(cli.ws('/ws/typed/7'), (e: any) => e.status === 400 && /missing parameter: label/.test(e.text))
  await assert.rejects(cli.ws('/ws/typed/x?label=a'), (e: any) => e.status === 404)
  await assert.rejects(
    cli.ws('/ws/echo?nope=1'),
    (e: any) => e.status === 400 && /unexpected parameter: nope/.test(e.text),
  )
})
