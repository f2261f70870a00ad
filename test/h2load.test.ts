// h2load -n 20000 -c 50 -m 10 against a Saddle app on the engine, over h2c and over h2 with TLS:
// every request succeeds (0 failed, 0 errored) and h2load negotiated h2 (ALPN) on the TLS port.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { makeCert } from '../packages/engine/test/tls-cert.js'

let plain: Engine
let secure: Engine
let port: number
let tlsPort: number

function app(): Saddle {
  const a = new Saddle('h2load')
  a.route('/', () => 'Hello World')
  a.route('/json/<int:n>', (_was: unknown, n: number) => ({ n, items: Array.from({ length: n }, (_, i) => i) }))
  return a
}

before(async () => {
  plain = new Engine()
  plain.enableAccessLog(false)
  plain.mount('/', app())
  port = await plain.listen({ port: 0 })
  const c = makeCert()
  secure = new Engine()
  secure.enableAccessLog(false)
  secure.enableSsl(c.cert, c.key)
  secure.mount('/', app())
  tlsPort = await secure.listen({ port: 0 })
})

after(async () => {
  await plain.close(1)
  await secure.close(1)
})

function h2load(url: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('h2load', ['-n', '20000', '-c', '50', '-m', '10', url], { timeout: 120_000 }, (err, out) =>
      err ? reject(err) : resolve(out),
    ),
  )
}

function check(out: string): void {
  const m = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out)
  assert.ok(m, out)
  assert.deepEqual(m.slice(1).map(Number), [20000, 20000, 20000, 20000, 0, 0], m[0])
  assert.match(out, /status codes: 20000 2xx/)
}

test('h2c (prior knowledge): 20000 requests, 50 clients, 10 streams each, 0 errors', async () => {
  const out = await h2load(`http://127.0.0.1:${port}/`)
  check(out)
  assert.match(out, /Application protocol: h2c/)
})

test('h2 over TLS (ALPN): 20000 requests of a JSON route, 0 errors', async () => {
  const out = await h2load(`https://127.0.0.1:${tlsPort}/json/50`)
  check(out)
  assert.match(out, /Application protocol: h2\b/)
})
