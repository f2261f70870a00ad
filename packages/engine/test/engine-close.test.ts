// The response's close bookkeeping (src/response.ts responseClosed) runs once per request.
import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { test } from 'node:test'
import { currentWas } from '@skitai/was'
import { quietEngine, raw, sleep, statuses } from './helpers.js'

test("a 'close' emitted twice (by an app) is counted once: inFlight back to 0, was.close() once", async () => {
  const engine = quietEngine()
  let closes = 0
  engine.mount('/', (_req: IncomingMessage, res: ServerResponse) => {
    const w = currentWas() as any
    const close = w.close.bind(w)
    w.close = () => {
      closes++
      close()
    }
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
