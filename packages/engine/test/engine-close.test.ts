// The response's close bookkeeping (src/response.ts responseClosed) runs once per request.
import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { test } from 'node:test'
import { currentWas } from '@skitai/was'
import { quietEngine, raw, sleep, statuses } from './helpers.js'

/** Counts this request's `was.close()` calls (the engine calls it once, when the response closes). */
function countCloses(count: () => void): void {
  const w = currentWas() as any
  const close = w.close.bind(w)
  w.close = () => {
    count()
    close()
  }
}

test("a 'close' emitted twice (by an app) is counted once: inFlight back to 0, was.close() once", async () => {
  const engine = quietEngine()
  let closes = 0
  engine.mount('/', (_req: IncomingMessage, res: ServerResponse) => {
    countCloses(() => closes++)
    res.end('x')
    res.once('close', () => res.emit('close'))
  })
  const port = await engine.listen({ port: 0 })
  try {
    const r = await raw(
      port,
      'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      {
        ms: 3000,
      },
    )
    assert.deepEqual(statuses(r.text), [200, 200])
    for (let i = 0; i < 50 && engine.inFlight !== 0; i++) await sleep(20)
    await sleep(50)
    assert.equal(engine.inFlight, 0)
    assert.equal(closes, 2)
  } finally {
    await engine.close()
  }
})

test('a connection dropped with pipelined requests still queued: every one of them is counted out (no 503 build-up)', async () => {
  const engine = quietEngine()
  let closes = 0
  engine.mount('/', (req: IncomingMessage, res: ServerResponse) => {
    countCloses(() => closes++)
    if (req.url === '/slow') setTimeout(() => res.end('slow'), 300)
    else res.end('fast')
  })
  const port = await engine.listen({ port: 0 })
  try {
    const queued = 'GET /fast HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(9)
    const s = connect(port, '127.0.0.1')
    s.on('error', () => {})
    await new Promise((r) => s.once('connect', r))
    s.write(`GET /slow HTTP/1.1\r\nHost: x\r\n\r\n${queued}`)
    for (let i = 0; i < 100 && engine.inFlight < 10; i++) await sleep(5)
    assert.equal(engine.inFlight, 10, 'all ten requests were handed to the app')
    s.destroy()
    for (let i = 0; i < 100 && engine.inFlight !== 0; i++) await sleep(10)
    assert.equal(engine.inFlight, 0)
    await sleep(400) // the slow handler finishing later changes nothing
    assert.equal(engine.inFlight, 0)
    assert.equal(closes, 10)
    const r = await raw(port, 'GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    assert.deepEqual(statuses(r.text), [200])
  } finally {
    await engine.close()
  }
})
