/**
 * A multipart body with bytes after its close delimiter (the epilogue). busboy 1.6 kept parsing the rest of
 * the chunk that held the delimiter: a file part found there whose own end was missing held the request
 * forever with its temporary file on disk (found by fuzz-multipart.test.ts at 1,000 runs, seed 1174939176,
 * shrunk here to its shape). Now the epilogue is dropped (multipart-epilogue.ts): every such body is
 * answered, nothing after the delimiter becomes an argument, and no temporary file stays.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Engine } from '@skitai/engine'
import { Saddle, UploadedFile } from '@skitai/saddle'
import { EpilogueCut, multipartBoundary } from '../src/multipart-epilogue.ts'

const B = 'epilogueBoundary42'
const CLOSE = `--${B}--`
const filePart = (name: string, data: string) =>
  `--${B}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}.txt"\r\n\r\n${data}`
const fieldPart = (name: string, data: string) =>
  `--${B}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${data}`

/** POSTs `pieces` as separate writes (a pause between them, so they reach the server as separate chunks). */
function post(port: number, pieces: string[]): Promise<{ status: number; body: string; answered: boolean }> {
  const length = pieces.reduce((n, p) => n + Buffer.byteLength(p), 0)
  const head =
    `POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${B}\r\n` +
    `Content-Length: ${length}\r\nConnection: close\r\n\r\n`
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.setNoDelay(true)
    let text = ''
    const timer = setTimeout(() => s.destroy(), 5000)
    s.on('data', (d) => {
      text += d.toString('latin1')
    })
    s.on('error', () => {})
    s.on('close', () => {
      clearTimeout(timer)
      const at = text.indexOf('\r\n\r\n')
      resolve({ status: Number(text.slice(9, 12)), body: text.slice(at + 4), answered: text.startsWith('HTTP/1.1') })
    })
    s.on('connect', async () => {
      s.write(head + pieces[0])
      for (const p of pieces.slice(1)) {
        await sleep(30)
        s.write(p)
      }
    })
  })
}

describe('multipart epilogue: nothing after the close delimiter is parsed', () => {
  const tempDir = mkdtempSync(join(tmpdir(), 'saddle-epilogue-'))
  const engine = new Engine()
  engine.enableAccessLog(false)
  let port = 0
  before(async () => {
    const app = new Saddle(import.meta.url, { name: 'epilogue' })
    app.config.uploadTempDir = tempDir
    app.route('/up', { methods: ['POST'] }, async (_was, { ...all }) => {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(all)) out[k] = v instanceof UploadedFile ? (await v.read()).toString() : v
      return out
    })
    engine.mount('/', app)
    port = await engine.listen({ port: 0, address: '127.0.0.1' })
  })
  after(async () => {
    await engine.close(0)
    rmSync(tempDir, { recursive: true, force: true })
  })

  const cases: [string, string[], Record<string, unknown>][] = [
    // the fuzz counterexample's shape: the delimiter first, then (same chunk) a file part that never ends
    ['close delimiter, then an unterminated file part', [`${CLOSE}\r\n--${B}\r\n${filePart('f', 'abc')}`], {}],
    [
      'close delimiter, then a complete file part',
      [`${CLOSE}\r\n--${B}\r\n${filePart('f', 'abc')}\r\n${CLOSE}\r\n`],
      {},
    ],
    [
      'a field, the close delimiter, then an unterminated file part',
      [`${fieldPart('a', '1')}\r\n${CLOSE}\r\n${fieldPart('x', '')}\r\n${filePart('f', 'abc')}`],
      { a: '1' },
    ],
    [
      'the close delimiter split across two chunks, then an unterminated file part',
      [`${filePart('f', 'data')}\r\n--${B.slice(0, 5)}`, `${B.slice(5)}--\r\n--${B}\r\n${filePart('g', 'zz')}`],
      { f: 'data' },
    ],
    [
      'the epilogue in a later chunk than the delimiter',
      [`${fieldPart('a', 'x')}\r\n${CLOSE}`, `\r\n--${B}\r\n${filePart('g', 'zz')}`],
      { a: 'x' },
    ],
  ]
  for (const [what, pieces, want] of cases) {
    test(`${what}: 200 with only the parts before it, no temporary file left`, async () => {
      const r = await post(port, pieces)
      assert.equal(r.answered, true, 'no answer')
      assert.equal(r.status, 200, r.body)
      assert.deepEqual(JSON.parse(r.body), want)
      assert.deepEqual(readdirSync(tempDir), [])
    })
  }
})

describe('EpilogueCut: the same bytes out whatever the chunking', () => {
  const body = Buffer.from(`${fieldPart('a', '1')}\r\n${CLOSE}\r\nepilogue ${CLOSE} more`)
  const kept = body.subarray(0, body.indexOf(CLOSE) + CLOSE.length).toString()

  async function through(chunks: Buffer[]): Promise<string> {
    const cut = new EpilogueCut(B)
    const sink = new PassThrough()
    const out: Buffer[] = []
    sink.on('data', (c: Buffer) => out.push(c))
    cut.pipe(sink)
    for (const c of chunks) cut.write(c)
    cut.end()
    await new Promise((r) => sink.on('end', r))
    return Buffer.concat(out).toString()
  }

  test('every split into two chunks, and byte by byte: cut just after the first close delimiter', async () => {
    for (let i = 0; i <= body.length; i++)
      assert.equal(await through([body.subarray(0, i), body.subarray(i)]), kept, `split at ${i}`)
    assert.equal(await through([...body].map((b) => Buffer.from([b]))), kept)
  })

  test('a body that starts with the close delimiter (no preamble) is empty after it', async () => {
    assert.equal(await through([Buffer.from(`${CLOSE}\r\n--${B}\r\nContent-Disposition: x\r\n\r\nq`)]), CLOSE)
  })

  test('a body without a close delimiter passes whole', async () => {
    const open = Buffer.from(`${filePart('f', 'abc')}\r\n--${B}-x`)
    assert.equal(await through([open.subarray(0, 7), open.subarray(7)]), open.toString())
  })

  test('the boundary is read as busboy reads it (quoted, other parameters)', () => {
    assert.equal(multipartBoundary(`multipart/form-data; boundary=${B}`), B)
    assert.equal(multipartBoundary('multipart/form-data; charset=utf-8; BOUNDARY="a b;c"'), 'a b;c')
    assert.equal(multipartBoundary('multipart/form-data'), undefined)
    assert.equal(multipartBoundary(undefined), undefined)
  })
})
