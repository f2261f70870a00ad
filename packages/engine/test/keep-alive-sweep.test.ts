// The keep-alive timeout as part of the idle sweep (src/idle-sweep.ts) instead of node's per-response
// socket timer: what is advertised, who is closed and who is kept, over real sockets. (The plain
// "idle connection is closed" case is in engine-limits.test.ts.)
import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import { connect, type Socket } from 'node:net'
import { test } from 'node:test'
import { PROTO_HTTP, registerAlias, unregisterAlias } from '@skitai/was'
import { WebSocket, WebSocketServer } from 'ws'
import { counting, quietEngine, raw, sleep, statuses } from './helpers.js'

const hello = (_req: IncomingMessage, res: ServerResponse) => res.end('x')

/** An open connection that collects what it reads and notes when it closes. */
async function open(port: number) {
  const s: Socket = connect(port, '127.0.0.1')
  const state = { text: '', closedAt: 0 }
  s.on('data', (d) => {
    state.text += d.toString('latin1')
  })
  s.on('close', () => {
    state.closedAt = Date.now()
  })
  s.on('error', () => {})
  await new Promise((r) => s.once('connect', r))
  return { s, state }
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  for (let waited = 0; waited < ms && !check(); waited += 20) await sleep(20)
}

test('the Keep-Alive header follows setKeepAlive, also on a running server', async () => {
  const engine = quietEngine()
  engine.mount('/', hello)
  const port = await engine.listen({ port: 0 })
  try {
    const a = await open(port)
    a.s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await waitFor(() => a.state.text.endsWith('x'), 3000)
    assert.match(a.state.text, /\r\nConnection: keep-alive\r\nKeep-Alive: timeout=30\r\n/)
    a.s.destroy()
    engine.setKeepAlive(7)
    const { s, state } = await open(port)
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await waitFor(() => state.text.endsWith('x'), 3000)
    assert.match(state.text, /\r\nConnection: keep-alive\r\nKeep-Alive: timeout=7\r\n/)
    s.destroy()
  } finally {
    await engine.close()
  }
})

test('setKeepAlive(0): no Keep-Alive header and an idle connection is never closed for it', async () => {
  const engine = quietEngine()
  engine.setKeepAlive(0)
  engine.setRequestTimeout(0.2)
  engine.mount('/', hello)
  const port = await engine.listen({ port: 0 })
  const { s, state } = await open(port)
  try {
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await waitFor(() => state.text.endsWith('x'), 3000)
    assert.doesNotMatch(state.text, /Keep-Alive:/i)
    await sleep(1600)
    assert.equal(state.closedAt, 0, 'still open')
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await waitFor(() => statuses(state.text).length === 2, 3000)
    assert.deepEqual(statuses(state.text), [200, 200])
  } finally {
    s.destroy()
    await engine.close()
  }
})

test('a connection opened and left silent is closed after the keep-alive time and its grace second, not before', async () => {
  const engine = quietEngine()
  engine.setKeepAlive(0.2)
  engine.mount('/', hello)
  const port = await engine.listen({ port: 0 })
  try {
    const t0 = Date.now()
    const { state } = await open(port)
    await waitFor(() => state.closedAt !== 0, 5000)
    assert.notEqual(state.closedAt, 0, 'closed')
    // 0.2 s + the 1 s grace (the header promises 0 s here, node rounds down; the grace covers it)
    assert.ok(state.closedAt - t0 >= 1100, `closed after ${state.closedAt - t0} ms`)
    assert.equal(state.text, '')
  } finally {
    await engine.close()
  }
})

test('a slow handler or a body arriving slowly is not cut by a short keep-alive: a busy connection is judged by the request timeout', async () => {
  const engine = quietEngine()
  engine.setKeepAlive(0.1)
  engine.mount('/count', counting)
  engine.mount('/', async (_req: IncomingMessage, res: ServerResponse) => {
    await sleep(1800)
    res.end('late')
  })
  const port = await engine.listen({ port: 0 })
  try {
    const slow = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { ms: 6000 })
    assert.deepEqual(statuses(slow.text), [200])
    assert.match(slow.text, /late$/)
    // …and once it has answered, the idle connection is closed for the keep-alive time
    assert.equal(slow.closed, true)
    // a body whose pieces are further apart than keep-alive + grace (1.1 s), well within the request timeout
    const head = 'POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n'
    const trickle = await raw(port, [head, 'a', 'b'], { gapMs: 1400, ms: 8000 })
    assert.match(trickle.text, /200 OK[\s\S]*got 2/)
  } finally {
    await engine.close()
  }
})

test('an upgraded (WebSocket) connection is not closed by the keep-alive time', async () => {
  const backend = createServer()
  const wss = new WebSocketServer({ server: backend })
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo ${m}`)))
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r))
  const bport = (backend.address() as { port: number }).port
  const engine = quietEngine()
  engine.setKeepAlive(0.1)
  registerAlias('@wska', PROTO_HTTP, [`127.0.0.1:${bport}`])
  engine.mount('/ws', '@wska')
  const port = await engine.listen({ port: 0 })
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/`)
  try {
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    await sleep(2000) // the keep-alive limit (0.1 s + 1 s grace) passes idle
    assert.equal(ws.readyState, WebSocket.OPEN)
    const reply = new Promise<string>((r) => ws.once('message', (m) => r(String(m))))
    ws.send('still here')
    assert.equal(await reply, 'echo still here')
  } finally {
    ws.terminate()
    await engine.close()
    wss.close()
    await new Promise<void>((r) => backend.close(() => r()))
    await unregisterAlias('@wska')
  }
})
