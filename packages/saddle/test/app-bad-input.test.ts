/**
 * Bad input never crashes the server and gets a clear 4xx naming the problem (issue 3 review): odd JSON,
 * huge and deep bodies, broken multipart, files where values are expected, broken percent-encoding and
 * content types a route does not accept. Each case runs in process and over a real socket.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Saddle } from '@skitai/saddle'
import { eachTransport } from './helpers.ts'

function makeApp(): Saddle {
  const app = new Saddle(import.meta.url, { name: 'badinput' })
  app.route('/one', { methods: ['GET', 'POST'] }, (was, a) => `a=${typeof a}:${typeof a === 'string' ? a : ''}`)
  app.route('/any', { methods: ['GET', 'POST'] }, (was, { ...form }) => `${Object.keys(form).length}`)
  app.route('/jsononly', { methods: ['POST'], contentTypes: ['application/json'] }, (was, { ...form }) =>
    Object.keys(form).join(','),
  )
  app.route('/stream-fail', async function* (_was) {
    yield 'first chunk\n'
    await new Promise((r) => setTimeout(r, 5))
    throw new Error('stream broke after start')
  })
  app.route('/alive', (_was) => 'alive')
  return app
}

describe('Saddle bad input', () => {
  eachTransport(
    () => makeApp(),
    (kind, c) => {
      const json = (body: string) => ({ body, headers: { 'content-type': 'application/json' } })

      it(`${kind}: JSON that is not an object, or not JSON, is 400 naming the problem`, async () => {
        for (const body of ['[1,2]', '"str"', '42', 'null', 'true']) {
          const r = await c().post('/one', json(body))
          assert.equal(r.status, 400, `${body}: ${r.text}`)
          assert.match(r.text, /object/i, body)
        }
        const r = await c().post('/one', json('{"a":'))
        assert.equal(r.status, 400)
        assert.match(r.text, /json/i)
      })

      it(`${kind}: deeply nested JSON and 10,000 urlencoded keys do not crash`, async () => {
        const deep = `{"a":${'['.repeat(20000)}${']'.repeat(20000)}}`
        // nesting past the JSON depth limit (512) is refused before anything walks the value
        let r = await c().post('/one', json(deep))
        assert.equal(r.status, 400, r.text.slice(0, 200))
        assert.match(r.text, /nested deeper than 512 levels/)
        r = await c().post('/one', json(`{"a":${'['.repeat(500)}${']'.repeat(500)}}`))
        assert.equal(r.status, 200, r.text.slice(0, 200))
        assert.equal(r.text, 'a=object:')
        const many = Array.from({ length: 10000 }, (_, i) => `k${i}=${i}`).join('&')
        r = await c().post('/any', {
          body: many,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
        assert.equal(r.status, 200, r.text.slice(0, 200))
        assert.equal(r.text, '10000')
        assert.equal((await c().get('/alive')).text, 'alive')
      })

      it(`${kind}: multipart without a boundary is 400`, async () => {
        const r = await c().post('/one', {
          body: 'garbage',
          headers: { 'content-type': 'multipart/form-data' },
        })
        assert.equal(r.status, 400, r.text)
        assert.match(r.text, /boundary|multipart/i)
      })

      it(`${kind}: a file field where a plain value is expected`, async () => {
        const b = 'XyZb0undary'
        const body =
          `--${b}\r\nContent-Disposition: form-data; name="a"; filename="x.txt"\r\n` +
          `Content-Type: text/plain\r\n\r\nhello\r\n--${b}--\r\n`
        const r = await c().post('/one', { body, headers: { 'content-type': `multipart/form-data; boundary=${b}` } })
        // The UploadedFile is passed as the value (README "Uploads"); the handler sees an object, not a crash.
        assert.equal(r.status, 200, r.text)
        assert.equal(r.text, 'a=object:')
        const t = await c().post('/one', {
          body: `--${b}\r\nContent-Disposition: form-data; name="a"\r\n\r\nhel`,
          headers: { 'content-type': `multipart/form-data; boundary=${b}` },
        })
        assert.equal(t.status, 400, t.text)
        assert.match(t.text, /malformed multipart/)
      })

      it(`${kind}: broken percent-encoding in the query does not crash`, async () => {
        // Lenient like browsers and Python's parse_qs: a broken escape stays literal, bad UTF-8 becomes U+FFFD.
        assert.equal((await c().get('/one?a=%ZZ')).text, 'a=string:%ZZ')
        assert.equal((await c().get('/one?a=%E0%A4%A')).text, 'a=string:\uFFFD%A')
        const r3 = await c().get('/one?%ZZ=1')
        assert.equal(r3.status, 400)
        assert.match(r3.text, /missing parameter: a/)
      })

      it(`${kind}: a content type the route does not list is 415`, async () => {
        const r = await c().post('/jsononly', { form: { a: '1' } })
        assert.equal(r.status, 415, r.text)
        assert.equal((await c().post('/jsononly', json('{"a":1}'))).text, 'a')
      })

      it(`${kind}: a stream that fails after it started ends the response, the server lives on`, async () => {
        // Headers are gone, so the only honest signal is a cut connection: the client must see an error,
        // never a clean end that would pass a truncated body off as complete.
        await assert.rejects(c().get('/stream-fail'))
        assert.equal((await c().get('/alive')).text, 'alive')
      })
    },
  )
})
