// was.response.earlyHints(links) → 103 Early Hints before the answer, over HTTP/1.1 (node's client and
// curl), h2c and h2 over TLS; nothing for an HTTP/1.0 client; a link with a line break is refused.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { request } from 'node:http'
import { connect as h2connect } from 'node:http2'
import { after, before, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { raw } from '../packages/engine/test/helpers.js'
import { makeCert } from '../packages/engine/test/tls-cert.js'

const LINKS = ['</style.css>; rel=preload; as=style', '</app.js>; rel=preload; as=script']
let plain: Engine
let secure: Engine
let port: number
let tlsPort: number

function mountApp(e: Engine): void {
  const app = new Saddle('hints')
  app.route('/page', async (was: any) => {
    was.response.earlyHints(LINKS)
    await new Promise((r) => setTimeout(r, 20)) // the handler is still working when the 103 is out
    return '<link rel=stylesheet href=/style.css>page'
  })
  app.route('/bad', (was: any) => {
    was.response.earlyHints('</x>\r\nSet-Cookie: a=b')
    return 'not reached'
  })
  e.enableAccessLog(false)
  e.mount('/', app)
}

before(async () => {
  plain = new Engine()
  mountApp(plain)
  port = await plain.listen({ port: 0 })
  const c = makeCert()
  secure = new Engine()
  secure.enableSsl(c.cert, c.key)
  mountApp(secure)
  tlsPort = await secure.listen({ port: 0 })
})

after(async () => {
  await plain.close(1)
  await secure.close(1)
})

test('HTTP/1.1: node’s client sees 103 with the Link headers before the 200', async () => {
  const seen: string[] = []
  const body = await new Promise<string>((resolve, reject) => {
    const req = request({ port, path: '/page', agent: false })
    req.on('information', (info) => {
      seen.push(`${info.statusCode} ${info.headers.link}`)
    })
    req.on('response', (res) => {
      seen.push(String(res.statusCode))
      let text = ''
      res.on('data', (d) => {
        text += d
      })
      res.on('end', () => resolve(text))
    })
    req.on('error', reject)
    req.end()
  })
  assert.deepEqual(seen, [`103 ${LINKS.join(', ')}`, '200'])
  assert.match(body, /page$/)
})

test('curl -v shows the 103 over HTTP/1.1 and over h2 with TLS', async () => {
  const run = (args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile('curl', ['-sv', '-o', '/dev/null', ...args], { timeout: 10_000 }, (err, _out, errOut) =>
        err ? reject(err) : resolve(errOut),
      ),
    )
  const h1 = await run([`http://127.0.0.1:${port}/page`])
  assert.match(h1, /< HTTP\/1\.1 103 Early Hints\r?\n< Link: <\/style\.css>; rel=preload; as=style/i)
  const h2 = await run(['-k', '--http2', `https://127.0.0.1:${tlsPort}/page`])
  assert.match(h2, /< HTTP\/2 103\s*\r?\n< link: <\/style\.css>; rel=preload; as=style/i)
  assert.match(h2, /< HTTP\/2 200/)
})

test('h2c: the stream gets a 103 headers frame, then the 200', async () => {
  const session = h2connect(`http://127.0.0.1:${port}`)
  try {
    const seen = await new Promise<string[]>((resolve, reject) => {
      const out: string[] = []
      const s = session.request({ ':path': '/page' })
      s.on('headers', (h) => out.push(`${h[':status']} ${h.link}`))
      s.on('response', (h) => out.push(String(h[':status'])))
      s.resume()
      s.on('end', () => resolve(out))
      s.on('error', reject)
      s.end()
    })
    assert.deepEqual(seen, [`103 ${LINKS.join(', ')}`, '200'])
  } finally {
    session.close()
  }
})

test('an HTTP/1.0 client gets no 103; a link with a line break is a 500 naming the problem', async () => {
  const r = await raw(port, 'GET /page HTTP/1.0\r\n\r\n')
  assert.match(r.text, /^HTTP\/1\.1 200 /)
  assert.doesNotMatch(r.text, /103/)
  const bad = await raw(port, 'GET /bad HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  assert.match(bad.text, /^HTTP\/1\.1 500 /)
  assert.doesNotMatch(bad.text, /Set-Cookie/i)
})
