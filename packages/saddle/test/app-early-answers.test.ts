/**
 * Answers given before the work is done: HEAD stops a generator after its first chunk (the rest is never
 * produced, not just dropped by node:http), and a multipart body whose declared Content-Length is over
 * the limit gets 413 without waiting for a byte of it.
 */
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { describe, it } from 'node:test'
import { Saddle } from '@skitai/saddle'
import { eachTransport } from './helpers.ts'

const produced: string[] = []

function makeApp(): Saddle {
  const app = new Saddle(import.meta.url, { name: 'early' })
  app.logger = () => {}
  app.route('/gen', async function* (_was) {
    produced.push('first')
    yield 'first\n'
    produced.push('second')
    yield 'second\n'
  })
  app.route('/up', { methods: ['POST'] }, (_was, { ...form }) => Object.keys(form).length)
  return app
}

describe('early answers', () => {
  const transports = eachTransport(
    () => makeApp(),
    (kind, c) => {
      it(`${kind}: HEAD of a generator route produces only the first chunk`, async () => {
        produced.length = 0
        const r = await c().request('HEAD', '/gen')
        assert.equal(r.status, 200)
        assert.equal(r.body.length, 0)
        assert.deepEqual(produced, ['first'])
        produced.length = 0
        assert.equal((await c().get('/gen')).text, 'first\nsecond\n')
        assert.deepEqual(produced, ['first', 'second'])
      })
    },
  )

  it('socket: a declared multipart Content-Length over the limit → 413 before any body byte', async () => {
    const origin = (transports().find((x) => x.kind === 'socket') as any).origin as string
    const port = Number(new URL(origin).port)
    const head = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(
          'POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n' +
            `Content-Length: ${40 * 1024 * 1024}\r\n\r\n`,
        )
      })
      let got = ''
      // Generous: without the early check the server waits for 40 MB that never come.
      const timer = setTimeout(() => {
        s.destroy()
        resolve(got)
      }, 5000)
      s.on('data', (d) => {
        got += d.toString()
        if (got.includes('\r\n\r\n')) {
          clearTimeout(timer)
          s.destroy()
          resolve(got)
        }
      })
      s.on('error', reject)
    })
    assert.match(head, /^HTTP\/1\.1 413 /)
  })
})
