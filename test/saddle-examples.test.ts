// The Saddle examples launched as real server processes with the skitai command (testClient(script)).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { testClient } from '@skitai/engine'

const example = (p: string) => fileURLToPath(new URL(`../examples/${p}`, import.meta.url))

test('examples/hello: the README "Skitai for TypeScript" routes over a real socket', async () => {
  const cli = testClient(example('hello/serve.ts'))
  try {
    assert.equal((await cli.get('/')).text, 'Hello World')
    assert.equal((await cli.get('/hello/100')).text, 'num is 100')
    assert.equal((await cli.get('/hello/x')).status, 404)
    assert.equal((await cli.get('/add?num1=1&num2=2')).text, '3')
    assert.equal((await cli.post('/add', { num1: 4, num2: 10 })).text, '14')
    assert.equal((await cli.post('/add', { num1: '4', num2: '5' }, { form: true })).text, '9')
    const missing = await cli.get('/add?num1=1')
    assert.equal(missing.status, 400)
    assert.match(missing.text, /missing parameter: num2/)
    assert.deepEqual((await cli.get('/links')).json(), { add: '/add?num1=10&num2=40', hello: '/hello/3' })
  } finally {
    await cli.close()
  }
  assert.equal(cli.child?.exitCode, 0)
})

test('examples/notes: templates, an upload saved and downloaded byte-identical, the API package', async () => {
  const files = mkdtempSync(join(tmpdir(), 'notes-e2e-'))
  const cli = testClient(example('notes/serve.ts'), { env: { NOTES_FILES: files } })
  try {
    let r = await cli.get('/', { headers: { accept: 'text/html' } })
    assert.equal(r.status, 200, cli.output())
    assert.match(r.text, /No notes yet/)
    assert.match(r.text, /action="\/notes"/)

    const data = randomBytes(64 * 1024)
    r = await cli.upload('/notes', { title: 'First <note>', attachment: { content: data, filename: 'data set.bin' } })
    assert.equal(r.status, 201, r.text)
    const created = r.json()
    assert.equal(created.note.title, 'First <note>')
    assert.equal(readdirSync(files).length, 1)

    r = await cli.get('/api/v1/notes')
    assert.equal(r.headers['x-api-version'], '1')
    assert.deepEqual(r.json(), [
      {
        id: 1,
        title: 'First <note>',
        attachment: { name: 'data_set.bin', size: data.length, mimetype: 'application/octet-stream' },
      },
    ])
    r = await cli.get('/api/v1/notes/1')
    assert.equal(r.json().url, '/api/v1/notes/1')
    assert.equal(r.json().page, '/')
    assert.equal((await cli.get('/api/v1/notes/9')).status, 404)

    r = await cli.get('/api/v1/notes/1/attachment')
    assert.equal(r.status, 200)
    assert.ok(r.body.equals(data), 'downloaded attachment is byte-identical')
    assert.match(String(r.headers['content-disposition']), /filename="data_set.bin"/)

    r = await cli.get('/', { headers: { accept: 'text/html' } })
    assert.match(r.text, /<a href="\/api\/v1\/notes\/1">First &lt;note&gt;<\/a>/)
    assert.match(r.text, /href="\/api\/v1\/notes\/1\/attachment">data_set.bin<\/a>, 65536 bytes/)
    assert.ok(r.headers['server-timing'])

    r = await cli.upload('/notes', { title: ' ' })
    assert.equal(r.status, 400)
  } finally {
    await cli.close()
  }
})
