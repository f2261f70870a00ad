// Several values of one header in an HttpError (`headers: { 'WWW-Authenticate': [a, b] }`) go out as
// several header lines — from Saddle's digest auth, and from an HttpError thrown by a fetch-style app or
// a Node listener mounted on the engine. Read off a raw socket so nothing folds the lines together.
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { HttpError } from '@skitai/was'

const CHALLENGES = ['Digest realm="x", nonce="n", algorithm=MD5', 'Digest realm="x", nonce="n", algorithm=SHA-256']
let engine: Engine
let port: number

/** The status line and header lines of a raw HTTP/1.1 GET. */
function rawGet(path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    sock.on('data', (c: Buffer) => chunks.push(c))
    sock.on('error', reject)
    sock.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1')
      resolve(text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n'))
    })
    sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
  })
}

const wwwAuthenticate = (lines: string[]) =>
  lines.filter((l) => /^www-authenticate:/i.test(l)).map((l) => l.slice(l.indexOf(':') + 1).trim())

before(async () => {
  const app = new Saddle(import.meta.url)
  app.securekey = 'a-test-key-of-at-least-thirty-two-characters'
  app.authenticate = 'digest'
  app.users = { alice: 'wonder land' }
  app.route('/who', (was) => String(was.request.user))
  engine = new Engine()
  engine.enableAccessLog(false)
  engine.mount('/app', app)
  engine.mount('/fetch', {
    fetch(): Response {
      throw new HttpError(401, 'Unauthorized', { headers: { 'WWW-Authenticate': CHALLENGES } })
    },
  })
  engine.mount('/node', () => {
    throw new HttpError(401, 'Unauthorized', { headers: { 'WWW-Authenticate': CHALLENGES } })
  })
  // The engine logs handler errors of status >= 500 only; these are 401s.
  port = await engine.listen({ port: 0, address: '127.0.0.1' })
})

after(() => engine.close(1))

test('a Saddle digest 401 carries two separate WWW-Authenticate lines, MD5 then SHA-256', async () => {
  const lines = await rawGet('/app/who')
  assert.match(lines[0]!, /^HTTP\/1\.1 401 /)
  const values = wwwAuthenticate(lines)
  assert.equal(values.length, 2, lines.join('\n'))
  assert.match(values[0]!, /^Digest .*algorithm="?MD5"?/)
  assert.match(values[1]!, /^Digest .*algorithm="?SHA-256"?/)
})

test('an HttpError with an array header from a fetch-style app: one line per value', async () => {
  const lines = await rawGet('/fetch/x')
  assert.match(lines[0]!, /^HTTP\/1\.1 401 /)
  assert.deepEqual(wwwAuthenticate(lines), CHALLENGES)
})

test('an HttpError with an array header from a Node listener: one line per value', async () => {
  const lines = await rawGet('/node/x')
  assert.match(lines[0]!, /^HTTP\/1\.1 401 /)
  assert.deepEqual(wwwAuthenticate(lines), CHALLENGES)
})
