import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { deflu, LU_PREFIX, MemorySharedState, setSharedState } from '@skitai/was'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('was.broadcast and model-changed go through the shared-state channel both ways', async () => {
  const app = new Saddle(import.meta.url, { name: 'bus' })
  const got: string[] = []
  app.onBroadcast('news', (was: any, text: string, n: number) =>
    got.push(`news:${text}:${n}:${was.nodeRequest ? 'req' : 'idle'}`),
  )
  deflu('tables.bus')
  app.onBroadcast('model-changed:tables.bus', (_was, key: string, time: number) => got.push(`model:${key}:${time}`))
  app.route('/send', async (was) => {
    await was.broadcast('news', 'local', 1)
    return 'sent'
  })
  // the backend is installed after the app subscribed (as run() does for workers): listeners move to it
  const backend = new MemorySharedState()
  const previous = setSharedState(backend)
  const published: unknown[] = []
  backend.subscribe('broadcast', (m) => published.push(m))
  const engine = new Engine()
  engine.enableAccessLog(false)
  engine.mount('/', app)
  try {
    const cli = engine.testClient()
    assert.equal((await cli.get('/send')).text, 'sent')
    // here: once, with the caller's request was; out on the channel: name and args as JSON
    assert.deepEqual(got, ['news:local:1:req'])
    assert.equal(published.length, 1)
    const m = published[0] as { from: string; name: string; args: unknown[] }
    assert.deepEqual([m.name, m.args, typeof m.from], ['news', ['local', 1], 'string'])
    // a message from another process runs the handlers here with a request-less was
    backend.applyRemoteMessage('broadcast', { from: 'another-worker', name: 'news', args: ['remote', 2] })
    // malformed messages are ignored
    backend.applyRemoteMessage('broadcast', null)
    backend.applyRemoteMessage('broadcast', { from: 'x', name: 5 })
    // another worker's setlu
    backend.applyRemoteSet(`${LU_PREFIX}tables.bus`, 12345)
    await sleep(10)
    assert.deepEqual(got, ['news:local:1:req', 'news:remote:2:idle', 'model:tables.bus:12345'])
  } finally {
    await engine.close(1)
    setSharedState(previous)
  }
})
