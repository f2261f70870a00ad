import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Engine } from '@skitai/engine'
import { Saddle, type UploadedFile } from '@skitai/saddle'

/**
 * Hostile uploads and bodies against a Saddle app over raw sockets: every request gets its answer and no
 * temporary file stays behind (multipart part limit, file-size limit, Expect: 100-continue over the app's
 * own limit), and the access log line of an upload over the limit (413) and of one the client cut (499).
 */

const BOUNDARY = 'reliabilityBoundary'

interface Part {
  name: string
  file?: string
  data: Buffer | string
}

function multipart(path: string, parts: Part[]): Buffer {
  const chunks: Buffer[] = []
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.file !== undefined ? `; filename="${p.file}"` : ''}`
    const type = p.file !== undefined ? 'Content-Type: application/octet-stream\r\n' : ''
    chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`))
    chunks.push(Buffer.from(p.data), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`))
  const body = Buffer.concat(chunks)
  const head =
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`
  return Buffer.concat([Buffer.from(head), body])
}

/** Send `data`, collect the answer until the server closes (or `ms` passes: then `answered` is false). */
function send(port: number, data: Buffer | string, ms = 5000): Promise<{ text: string; answered: boolean }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    let text = ''
    const timer = setTimeout(() => {
      s.destroy()
      resolve({ text, answered: false })
    }, ms)
    s.on('data', (d) => {
      text += d.toString('latin1')
    })
    s.on('error', () => {})
    s.on('close', () => {
      clearTimeout(timer)
      resolve({ text, answered: text.startsWith('HTTP/1.1 ') })
    })
    s.on('connect', () => s.write(data))
  })
}

const status = (text: string) => Number(text.slice(9, 12))

describe('saddle reliability: uploads and bodies over raw sockets', () => {
  const tempDir = mkdtempSync(join(tmpdir(), 'saddle-rel-up-'))
  const engine = new Engine()
  engine.enableAccessLog(false)
  let port = 0
  before(async () => {
    const app = new Saddle(import.meta.url, { name: 'reliability' })
    app.logger = () => {}
    app.config.uploadTempDir = tempDir
    app.config.maxUploadFileSize = 1000
    app.config.maxPostBodySize = 1000
    app.route('/form', async (was) => Object.keys(await was.request.form()).length)
    app.route('/file', (_was, file: UploadedFile) => ({ size: file.size }))
    app.route('/post', async (was) => (await was.request.body()).length)
    engine.mount('/', app)
    port = await engine.listen({ port: 0 })
  })
  after(() => engine.close(0))

  const cases: [string, Part[], number][] = [
    [
      '1,000 file parts (the part limit)',
      Array.from({ length: 1000 }, (_, i) => ({ name: `f${i}`, file: 'a.txt', data: 'x' })),
      413,
    ],
    [
      'one file and 999 fields (the part limit)',
      [
        { name: 'f', file: 'a.txt', data: 'x' },
        ...Array.from({ length: 999 }, (_, i) => ({ name: `k${i}`, data: 'v' })),
      ],
      413,
    ],
    ['a 5 KB file over maxUploadFileSize = 1000', [{ name: 'f', file: 'a.bin', data: Buffer.alloc(5000) }], 413],
    ['a 1,001-byte file over maxUploadFileSize = 1000', [{ name: 'f', file: 'a.bin', data: Buffer.alloc(1001) }], 413],
    ['a 3 MB file', [{ name: 'f', file: 'a.bin', data: Buffer.alloc(3_000_000) }], 413],
    ['a 1,000-byte file (at the limit)', [{ name: 'f', file: 'a.bin', data: Buffer.alloc(1000) }], 200],
  ]
  for (const [what, parts, want] of cases) {
    test(`${what}: answered ${want}, no temporary file left`, async () => {
      const r = await send(port, multipart('/form', parts))
      assert.equal(r.answered, true, `no answer: ${JSON.stringify(r.text.slice(0, 200))}`)
      assert.equal(status(r.text), want, r.text.slice(0, 300))
      if (want === 413) assert.match(r.text, /too many parts|over the limit of 1000 bytes|over the limit/)
      assert.deepEqual(readdirSync(tempDir), [])
    })
  }

  test('a file argument under the limit is bound, and its temporary file removed after the response', async () => {
    const r = await send(port, multipart('/file', [{ name: 'file', file: 'a.bin', data: Buffer.alloc(999) }]))
    assert.equal(status(r.text), 200)
    assert.match(r.text, /"size":999/)
    assert.deepEqual(readdirSync(tempDir), [])
  })

  test('Expect: 100-continue with a body over the app limit: 413 instead of 100 Continue', async () => {
    const r = await send(port, 'POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n')
    assert.equal(r.answered, true)
    assert.doesNotMatch(r.text, /100 Continue/)
    assert.equal(status(r.text), 413)
    assert.match(r.text, /the limit is 1000 bytes/)
  })

  test('Expect: 100-continue under the limit: 100 Continue when the app reads the body, then the answer', async () => {
    const r = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1')
      let text = ''
      s.on('data', (d) => {
        text += d.toString('latin1')
        if (text.includes('100 Continue\r\n\r\n') && !text.includes('200 OK')) s.write('abc')
      })
      s.on('close', () => resolve(text))
      s.on('connect', () =>
        s.write(
          'POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
        ),
      )
    })
    assert.match(r, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/)
    assert.match(r, /\r\n\r\n3$/)
  })
})

test('the access log tells what happened to uploads: 413 for a file over the limit, 499 for an aborted one', async () => {
  const tempDir = mkdtempSync(join(tmpdir(), 'saddle-rel-log-up-'))
  const logDir = mkdtempSync(join(tmpdir(), 'saddle-rel-log-'))
  const engine = new Engine()
  engine.enableFileLogging(logDir)
  const app = new Saddle(import.meta.url, { name: 'reliability-log' })
  app.logger = () => {}
  app.config.uploadTempDir = tempDir
  app.config.maxUploadFileSize = 1000
  app.route('/over', (_was, file: UploadedFile) => ({ size: file.size }))
  app.route('/cut', (_was, file: UploadedFile) => ({ size: file.size }))
  engine.mount('/', app)
  const port = await engine.listen({ port: 0 })
  try {
    const over = await send(port, multipart('/over', [{ name: 'file', file: 'a.bin', data: Buffer.alloc(1001) }]))
    assert.equal(status(over.text), 413)
    // an upload cut by the client halfway through its body
    const whole = multipart('/cut', [{ name: 'file', file: 'a.bin', data: Buffer.alloc(900) }])
    const s = connect(port, '127.0.0.1')
    s.on('error', () => {})
    await new Promise((r) => s.on('connect', r))
    s.write(whole.subarray(0, whole.length - 400))
    await sleep(200)
    s.resetAndDestroy()
    for (let i = 0; i < 50 && engine.inFlight > 0; i++) await sleep(20)
    assert.deepEqual(readdirSync(tempDir), [])
  } finally {
    await engine.close(0)
  }
  const lines = readFileSync(join(logDir, 'request.log'), 'utf8').trim().split('\n')
  rmSync(logDir, { recursive: true, force: true })
  rmSync(tempDir, { recursive: true, force: true })
  assert.match(lines.find((l) => l.includes(' /over ')) ?? lines.join('\n'), / HTTP\/1\.1 \d+ 413 /)
  assert.match(lines.find((l) => l.includes(' /cut ')) ?? lines.join('\n'), / HTTP\/1\.1 \d+ 499 0 /)
})
