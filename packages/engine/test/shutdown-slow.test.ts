// SIGTERM with a slow handler in flight (it finishes with its body), one slower than the grace (it is
// cut and the log says so), an HTTP/2 stream in flight (GOAWAY, the stream completes), the apps'
// beforeUmount/umounted hooks, exit 0 — real `skitai` processes; and engine.close(grace) in process.
import assert from 'node:assert/strict'
import { connect as h2connect } from 'node:http2'
import { test } from 'node:test'
import { quietEngine } from './helpers.js'
import { get, launchFixture, RawConnection } from './shutdown-helpers.js'

test('SIGTERM (then SIGINT, ignored): a 300 ms handler in flight completes with its body and Connection: close; hooks run; exit 0', async () => {
  const s = await launchFixture({ SHUTDOWN_GRACE: '5' })
  try {
    const c = new RawConnection(s.port)
    await c.connected
    const [answer] = c.send([get('/slow?ms=300')])
    await s.waitFor('slow request started 300')
    const exited = s.terminate()
    await s.waitFor('SIGTERM received')
    // a second signal (a terminal's SIGINT beside a supervisor's SIGTERM) must not cut the answer
    s.server.child?.kill('SIGINT')
    const code = await exited
    const o = await answer!
    assert.equal(o.kind, 'answered', JSON.stringify(o))
    if (o.kind === 'answered') {
      assert.equal(o.answer.body, 'slow done after 300 ms')
      assert.equal(o.answer.headers.connection, 'close')
    }
    assert.equal(code, 0)
    const out = s.server.output()
    assert.match(out, /marker: beforeUmount ran\n[\s\S]*marker: umounted ran/)
    assert.doesNotMatch(out, /cutting/)
    assert.match(out, /SIGINT received, already shutting down/)
  } finally {
    await s.server.stop()
  }
})

test('SIGTERM: a handler longer than the grace is cut, the log says how many; hooks still run; exit 0', async () => {
  const s = await launchFixture({ SHUTDOWN_GRACE: '1' })
  try {
    const c = new RawConnection(s.port)
    await c.connected
    const [answer] = c.send([get('/slow?ms=8000')])
    await s.waitFor('slow request started 8000')
    const started = Date.now()
    const code = await s.terminate()
    const elapsed = Date.now() - started
    const o = await answer!
    assert.notEqual(o.kind, 'answered')
    assert.equal(code, 0)
    const out = s.server.output()
    assert.match(out, /shutdown grace of 1 s is over: cutting 1 connection\(s\), 1 request\(s\) unanswered/)
    assert.match(out, /marker: beforeUmount ran\n[\s\S]*marker: umounted ran/)
    // cut at the grace, not when the handler would have finished (generous slack: shared machine)
    assert.ok(elapsed < 6000, `exited after ${elapsed} ms`)
  } finally {
    await s.server.stop()
  }
})

test('SIGTERM: an HTTP/2 (h2c) stream in flight completes after GOAWAY; exit 0', async () => {
  const s = await launchFixture({ SHUTDOWN_GRACE: '5' })
  const session = h2connect(`http://127.0.0.1:${s.port}`)
  session.on('error', () => {})
  try {
    let goaway = false
    session.on('goaway', () => {
      goaway = true
    })
    const req = session.request({ ':path': '/slow?ms=300' })
    const body = new Promise<{ status: number; text: string }>((resolve, reject) => {
      let status = 0
      let text = ''
      req.on('response', (h) => {
        status = Number(h[':status'])
      })
      req.setEncoding('utf8')
      req.on('data', (d) => (text += d))
      req.on('end', () => resolve({ status, text }))
      req.on('error', reject)
    })
    await s.waitFor('slow request started 300')
    const code = await s.terminate()
    const r = await body
    assert.equal(r.status, 200)
    assert.equal(r.text, 'slow done after 300 ms')
    assert.equal(goaway, true)
    assert.equal(code, 0)
  } finally {
    session.destroy()
    await s.server.stop()
  }
})

test('engine.close(grace) in process: a request in flight finishes with Connection: close, then close resolves', async () => {
  const engine = quietEngine()
  engine.mount('/', (_req: any, res: any) => setTimeout(() => res.end('late'), 200))
  const port = await engine.listen({ port: 0 })
  const c = new RawConnection(port)
  await c.connected
  const [answer] = c.send([get('/')])
  await new Promise((r) => setTimeout(r, 50))
  await engine.close(5)
  const o = await answer!
  assert.equal(o.kind, 'answered')
  if (o.kind === 'answered') {
    assert.equal(o.answer.body, 'late')
    assert.equal(o.answer.headers.connection, 'close')
  }
  assert.equal(engine.server?.listening, false)
})
