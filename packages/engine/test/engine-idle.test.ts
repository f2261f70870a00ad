// The request timeout as an idle sweep (src/idle-sweep.ts): who is dropped and who is kept, over real
// sockets. (The stalled body and the slow handler are in engine-limits.test.ts.)
import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import { connect } from 'node:net'
import { describe, test } from 'node:test'
import { PROTO_HTTP, registerAlias, unregisterAlias } from '@skitai/was'
import { WebSocket, WebSocketServer } from 'ws'
import { counting, quietEngine, raw, sleep, statuses } from './helpers.js'

describe('request timeout (idle sweep)', () => {
  test('a body trickling in slower than the timeout in total, but never idle that long, is read whole', async () => {
    const engine = quietEngine()
    engine.setRequestTimeout(0.6)
    engine.mount('/count', counting)
    const port = await engine.listen({ port: 0 })
    try {
      // 8 pieces 200 ms apart: 1.6 s in all, never 0.6 s without data
      const pieces = ['POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\nConnection: close\r\n\r\n']
      for (let i = 0; i < 8; i++) pieces.push('a')
      const r = await raw(port, pieces, { gapMs: 200, ms: 8000 })
      assert.match(r.text, /200 OK[\s\S]*got 8/)
    } finally {
      await engine.close()
    }
  })

  test('a client that stops reading a large response is dropped after the timeout', async () => {
    const engine = quietEngine()
    engine.setRequestTimeout(0.5)
    let finished: boolean | null = null
    engine.mount('/big', (_req: IncomingMessage, res: ServerResponse) => {
      res.on('close', () => {
        finished = res.writableFinished
      })
      const chunk = Buffer.alloc(1024 * 1024, 120)
      let left = 64 // 64 MB: far more than the socket buffers hold
      const pump = () => {
        while (left > 0) {
          left--
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
    })
    const port = await engine.listen({ port: 0 })
    const s = connect(port, '127.0.0.1')
    try {
      s.on('error', () => {})
      await new Promise((r) => s.once('connect', r))
      s.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n')
      await sleep(100)
      s.pause() // never read again
      const t0 = Date.now()
      for (let i = 0; i < 100 && finished === null; i++) await sleep(50)
      assert.equal(finished, false, 'the response was cut, not completed')
      assert.ok(Date.now() - t0 < 5000)
      assert.equal(engine.inFlight, 0)
    } finally {
      s.destroy()
      await engine.close()
    }
  })

  test('an idle keep-alive connection lives for the keep-alive time, even when that is longer than the request timeout', async () => {
    const engine = quietEngine()
    engine.setRequestTimeout(0.3)
    engine.setKeepAlive(5)
    engine.mount('/', (_req: IncomingMessage, res: ServerResponse) => res.end('x'))
    const port = await engine.listen({ port: 0 })
    const s = connect(port, '127.0.0.1')
    try {
      let text = ''
      let closed = false
      s.on('data', (d) => {
        text += d.toString('latin1')
      })
      s.on('close', () => {
        closed = true
      })
      await new Promise((r) => s.once('connect', r))
      s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
      await sleep(1200) // four request timeouts, idle between requests
      assert.equal(closed, false, 'still open')
      s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
      for (let i = 0; i < 100 && statuses(text).length < 2; i++) await sleep(20)
      assert.deepEqual(statuses(text), [200, 200])
    } finally {
      s.destroy()
      await engine.close()
    }
  })

  test('an upgraded (WebSocket) connection is not an HTTP request any more: idle longer than the timeout, it stays', async () => {
    const backend = createServer()
    const wss = new WebSocketServer({ server: backend })
    wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo ${m}`)))
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r))
    const bport = (backend.address() as { port: number }).port
    const engine = quietEngine()
    engine.setRequestTimeout(0.3)
    registerAlias('@wsidle', PROTO_HTTP, [`127.0.0.1:${bport}`])
    engine.mount('/ws', '@wsidle')
    const port = await engine.listen({ port: 0 })
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/`)
    try {
      await new Promise((resolve, reject) => {
        ws.once('open', resolve)
        ws.once('error', reject)
      })
      await sleep(1200)
      assert.equal(ws.readyState, WebSocket.OPEN)
      const reply = new Promise<string>((r) => ws.once('message', (m) => r(String(m))))
      ws.send('still here')
      assert.equal(await reply, 'echo still here')
    } finally {
      ws.terminate()
      await engine.close()
      wss.close()
      await new Promise<void>((r) => backend.close(() => r()))
      await unregisterAlias('@wsidle')
    }
  })
})
