// skitai.enableForward(from, to): plain HTTP answered with 301 to the same host, path and query on https.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, test } from 'node:test'
import type { Engine } from '@skitai/engine'
import { quietEngine, raw } from './helpers.js'
import { makeCert } from './tls-cert.js'

let engine: Engine
let tlsPort: number
let fromPort: number

before(async () => {
  const c = makeCert()
  engine = quietEngine()
  engine.enableSsl(c.cert, c.key)
  engine.enableForward(0, 0) // free ports in tests; enableForward(80, 443) in production
  engine.mount('/', (req: any, res: any) => res.end(`secure ${req.url} over ${req.httpVersion}`))
  tlsPort = await engine.listen({ port: 0 })
  fromPort = engine.forwardPort as number
})

after(() => engine.close(1))

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('curl', ['-sk', ...args], { timeout: 10_000 }, (err, out) => (err ? reject(err) : resolve(out))),
  )
}

test('http://…:P1/a?b=c → 301 → https://…:P2/a?b=c, followed by curl over h2', async () => {
  const head = await curl(['-D', '-', '-o', '/dev/null', `http://127.0.0.1:${fromPort}/a?b=c`])
  assert.match(head, /^HTTP\/1\.1 301 /)
  assert.match(head, new RegExp(`\\r\\nlocation: https://127\\.0\\.0\\.1:${tlsPort}/a\\?b=c\\r\\n`, 'i'))
  const body = await curl(['-L', '--http2', `http://127.0.0.1:${fromPort}/a?b=c`])
  assert.equal(body, 'secure /a?b=c over 2.0')
})

test('the Host name is kept without its port; a missing Host is a 400', async () => {
  const r = await raw(fromPort, 'GET /x/y?z=%20 HTTP/1.1\r\nHost: www.site.test:8080\r\n\r\n', {
    until: (t) => t.includes('\r\n\r\n'),
  })
  assert.match(r.text, new RegExp(`location: https://www\\.site\\.test:${tlsPort}/x/y\\?z=%20\\r\\n`, 'i'))
  const v6 = await raw(fromPort, 'GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n', { until: (t) => t.includes('\r\n\r\n') })
  assert.match(v6.text, new RegExp(`location: https://\\[::1\\]:${tlsPort}/\\r\\n`, 'i'))
  const none = await raw(fromPort, 'GET / HTTP/1.0\r\n\r\n', { until: (t) => t.includes('Host header') })
  assert.match(none.text, /^HTTP\/1\.1 400 .*\r\n[\s\S]*a Host header is needed/)
})

test('ports are checked', () => {
  assert.throws(() => quietEngine().enableForward(80, 70000), /to port must be an integer/)
})
