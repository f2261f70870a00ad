// examples/chat launched as a real server process by the test client; cli.ws talks to it over real
// sockets, and the server logs one line per WebSocket session; SIGTERM closes the sessions with 1001.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { testClient } from '@skitai/engine'

const script = fileURLToPath(new URL('../examples/chat/serve.ts', import.meta.url))

test('examples/chat: the page, a room over cli.ws, the session log line, 1001 at shutdown', async () => {
  const cli = testClient(script)
  let lingering: Awaited<ReturnType<typeof cli.ws>> | null = null
  try {
    const page = await cli.get('/')
    assert.equal(page.status, 200)
    assert.match(page.text, /<script src="\/chat.js">/)
    assert.equal((await cli.get('/chat.js')).status, 200)

    const a = await cli.ws('/ws/chat?room=r1&name=A')
    assert.deepEqual(await a.receiveJson(), { event: 'joined', name: 'A', members: 1 })
    const b = await cli.ws('/ws/chat?room=r1&name=B')
    assert.deepEqual(await a.receiveJson(), { event: 'joined', name: 'B', members: 2 })
    await b.receiveJson()
    await b.send({ text: 'hi' })
    const said = { event: 'said', room: 'r1', name: 'B', text: 'hi' }
    assert.deepEqual(await a.receiveJson(), said)
    assert.deepEqual(await b.receiveJson(), said)
    await b.close()
    assert.deepEqual(await a.receiveJson(), { event: 'left', name: 'B' })
    await assert.rejects(cli.ws('/ws/chat?name=nobody'), (e: any) => e.status === 400)
    lingering = a
  } finally {
    await cli.close()
  }
  assert.equal((await lingering!.closed).code, 1001)
  assert.equal(cli.child?.exitCode, 0)
  assert.match(cli.output(), /GET \/ws\/chat\?room=r1&name=B HTTP\/1\.1 \d+ 101 \d+ .* ws in=1 out=\d+ close=1000/)
})
