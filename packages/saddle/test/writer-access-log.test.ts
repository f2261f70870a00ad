// Saddle's in-memory answers (below the compression threshold, or with compression off) go out through the engine's writeWholeAnswer (engine README "Performance"),
// which does the response hooks' bookkeeping itself: the moment the head was written, which splits the
// access log's time into handling and transfer. A large body read slowly by the client shows the split:
// the handler answered at once, the transfer took as long as the client made it.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'

const BIG = 'x'.repeat(16 * 1024 * 1024)
let engine: Engine
let logDir: string
let port = 0

before(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'skitai-writer-log-'))
  const app = new Saddle('writer-log')
  app.route('/big', (_was) => BIG)
  app.route('/wait', async (_was) => {
    await new Promise((r) => setTimeout(r, 150))
    return { waited: true }
  })
  engine = new Engine()
  // off: a body over the compression threshold is written by writeBodyAnswer instead (response-body.ts)
  engine.setCompression(false)
  engine.enableFileLogging(logDir)
  engine.mount('/', app)
  port = await engine.listen({ port: 0, address: '127.0.0.1' })
})

after(async () => {
  await engine.close()
  rmSync(logDir, { recursive: true, force: true })
})

/** GET `path` on a raw connection that reads nothing for `holdMs`, then the whole answer; its byte count. */
function slowGet(path: string, holdMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.pause()
      s.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)
      setTimeout(() => s.resume(), holdMs)
    })
    let n = 0
    s.on('data', (d) => {
      n += d.length
    })
    s.on('end', () => resolve(n))
    s.on('error', reject)
  })
}

/** The handling and transfer milliseconds of the log line for `path`. */
async function timesOf(path: string): Promise<[number, number, string]> {
  await new Promise((r) => setTimeout(r, 100))
  const line = readFileSync(join(logDir, 'request.log'), 'utf8')
    .split('\n')
    .find((l) => l.includes(` GET ${path} HTTP/1.1 `))
  assert.ok(line, `a log line for ${path}`)
  const m = / (\d+)ms (\d+)ms$/.exec(line)
  assert.ok(m, line)
  return [Number(m[1]), Number(m[2]), line]
}

test('a large answer read slowly: handled at once, the transfer takes the client’s time', async () => {
  const received = await slowGet('/big', 400)
  assert.ok(received > BIG.length, 'the whole body arrived')
  const [handling, transfer, line] = await timesOf('/big')
  assert.match(line, new RegExp(` GET /big HTTP/1\\.1 0 200 ${BIG.length} `))
  assert.ok(handling < 200, `handling ${handling} ms`)
  assert.ok(transfer >= 250, `transfer ${transfer} ms`)
})

test('a handler that waits: the time is handling, not transfer', async () => {
  await slowGet('/wait', 0)
  const [handling, transfer, line] = await timesOf('/wait')
  assert.match(line, / GET \/wait HTTP\/1\.1 0 200 15 /)
  assert.ok(handling >= 140, `handling ${handling} ms`)
  assert.ok(transfer < 100, `transfer ${transfer} ms`)
})
