import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { request } from 'undici'

test('enableFileLogging: a Saddle handler error goes to server.log with its stack and transaction id', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skitai-srvlog-'))
  const app = new Saddle(import.meta.url)
  app.route('/boom', function boom() {
    throw new Error('handler exploded')
  })
  const engine = new Engine()
  engine.enableFileLogging(dir)
  engine.mount('/', app)
  const port = await engine.listen({ port: 0 })
  try {
    const r = await request(`http://127.0.0.1:${port}/boom`, {
      headers: { 'x-gtxn-id': 'GT-srvlog', 'x-ltxn-id': '3000' },
    })
    assert.equal(r.statusCode, 500)
    await r.body.text()
  } finally {
    await engine.close()
  }
  const log = readFileSync(join(dir, 'server.log'), 'utf8')
  const line = log.split('\n').find((l) => l.includes('handler exploded'))
  assert.ok(line, `no app error in server.log:\n${log}`)
  assert.match(line, /\[error\]/)
  assert.match(line, /GT-srvlog\/4000/)
  assert.match(log, /handler exploded\n\s+at .*boom/)
})
