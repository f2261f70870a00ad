// `npm start`'s example (examples/hello/serve.ts, a Saddle app beside a static directory) launched with the skitai command through the test client.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { testClient } from '@skitai/engine'

const script = fileURLToPath(new URL('../examples/hello/serve.ts', import.meta.url))

test('examples/hello serves / and a static file, and stops on close()', async () => {
  const cli = testClient(script)
  try {
    const r = await cli.get('/')
    assert.equal(r.status, 200)
    assert.equal(r.text, 'Hello World')
    const page = await cli.get('/static/index.html')
    assert.equal(page.status, 200)
    assert.match(String(page.headers['content-type']), /^text\/html/)
    assert.match(page.text, /Hello from a static file/)
    assert.equal((await cli.get('/static/')).text, page.text)
    // the launched server speaks HTTP/2 too (h2c with prior knowledge)
    const h2 = await cli.http2.get('/static/index.html')
    assert.equal(h2.status, 200)
    assert.equal(h2.text, page.text)
  } finally {
    await cli.close()
  }
  assert.equal(cli.child?.exitCode, 0)
  assert.match(cli.output(), /GET \/static\/index\.html HTTP\/1\.1 0 200 /)
  assert.match(cli.output(), /GET \/static\/index\.html HTTP\/2\.0 0 200 /)
})
