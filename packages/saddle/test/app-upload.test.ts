import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Saddle, sanitizeFilename, type UploadedFile } from '@skitai/saddle'
import { clients, eachTransport } from './helpers.ts'

const tempDir = mkdtempSync(join(tmpdir(), 'saddle-upload-tmp-'))
const saveDir = mkdtempSync(join(tmpdir(), 'saddle-upload-dst-'))

/** A multipart body built by the platform's FormData encoder (undici), as browsers send it. */
async function multipart(fields: [string, string | { data: Buffer; filename: string; type?: string }][]) {
  const fd = new FormData()
  for (const [name, v] of fields) {
    if (typeof v === 'string') fd.append(name, v)
    else fd.append(name, new Blob([new Uint8Array(v.data)], { type: v.type ?? 'application/octet-stream' }), v.filename)
  }
  const r = new Response(fd)
  return { body: Buffer.from(await r.arrayBuffer()), type: r.headers.get('content-type')! }
}

const seen: string[] = []

function makeApp(): Saddle {
  const app = new Saddle(import.meta.url, { name: 'uploads' })
  app.logger = () => {}
  app.config.uploadTempDir = tempDir
  app.route('/save', async (_was, file: UploadedFile, note = '') => {
    const path = await file.save(saveDir, { dup: 'u' })
    return { name: file.name, size: file.size, mimetype: file.mimetype, path, note }
  })
  app.route('/overwrite', async (_was, file: UploadedFile) => file.save(saveDir, { name: 'fixed.bin', dup: 'o' }))
  app.route('/peek', async (was, files: UploadedFile[]) => {
    seen.push(...files.map((f) => f.path))
    const texts = await Promise.all(files.map((f) => f.read().then((b) => b.toString())))
    return { count: files.length, texts, names: files.map((f) => f.name), form: Object.keys(await was.request.form()) }
  })
  app.route('/nested', async (_was, file: UploadedFile) => {
    return file.save(join(saveDir, 'a', 'b'), { mkdir: true })
  })
  return app
}

describe('uploads (README "Uploads")', () => {
  it('sanitizes the inventory of nasty names exactly as the README says', () => {
    const cases: [string, string][] = [
      ['report.pdf', 'report.pdf'],
      ['../../etc/passwd', 'passwd'],
      ['C:\\Users\\me\\photo.jpg', 'photo.jpg'],
      ['.htaccess', 'htaccess'],
      ['...hidden.txt', 'hidden.txt'],
      ['my  report\tfinal.doc', 'my_report_final.doc'],
      ['a"b\'c:d;e|f>g<h&i?j.txt', 'a_b_c_d_e_f_g_h_i_j.txt'],
      ['what?? "quoted" <tag>.txt', 'what_quoted_tag_.txt'],
      ['semi;;colon', 'semi_colon'],
      ['', 'noname'],
      ['...', 'noname'],
      ['/', 'noname'],
      ['dir/', 'noname'],
      ['été 2024.png', 'été_2024.png'],
      ['nul\u0000byte.txt', 'nul_byte.txt'],
    ]
    for (const [input, want] of cases) assert.equal(sanitizeFilename(input), want, JSON.stringify(input))
  })

  const transports = eachTransport(
    () => makeApp(),
    (kind, c) => {
      for (const size of [4 * 1024, 4 * 1024 * 1024]) {
        it(`${kind}: a ${size / 1024} KB file is saved byte-identical; the temp file is gone`, async () => {
          const data = randomBytes(size)
          const { body, type } = await multipart([
            ['note', 'hi'],
            ['file', { data, filename: '../my report.bin', type: 'application/x-test' }],
          ])
          const r = await c().post('/save', { body, headers: { 'content-type': type } })
          assert.equal(r.status, 200, r.text)
          const j = r.json()
          assert.equal(j.name, 'my_report.bin')
          assert.equal(j.size, size)
          assert.equal(j.mimetype, 'application/x-test')
          assert.equal(j.note, 'hi')
          assert.ok(readFileSync(j.path).equals(data), 'saved file is byte-identical')
          assert.deepEqual(readdirSync(tempDir), [])
        })
      }

      it(`${kind}: save with dup 'u' picks a new name, 'o' overwrites; mkdir`, async () => {
        const one = await multipart([['file', { data: Buffer.from('1'), filename: 'same.txt' }]])
        const p1 = (await c().post('/save', { body: one.body, headers: { 'content-type': one.type } })).json().path
        const p2 = (await c().post('/save', { body: one.body, headers: { 'content-type': one.type } })).json().path
        assert.notEqual(p1, p2)
        assert.match(p2, /same-\d+\.txt$/)
        const a = await multipart([['file', { data: Buffer.from('first'), filename: 'x' }]])
        const b = await multipart([['file', { data: Buffer.from('second'), filename: 'y' }]])
        await c().post('/overwrite', { body: a.body, headers: { 'content-type': a.type } })
        const r = await c().post('/overwrite', { body: b.body, headers: { 'content-type': b.type } })
        assert.equal(readFileSync(r.text, 'utf8'), 'second')
        const n = await c().post('/nested', { body: a.body, headers: { 'content-type': a.type } })
        assert.ok(existsSync(n.text), n.text)
      })

      it(`${kind}: repeated names give an array; unsaved temp files are removed at request end`, async () => {
        const { body, type } = await multipart([
          ['files', { data: Buffer.from('one'), filename: 'a.txt' }],
          ['files', { data: Buffer.from('two'), filename: 'b.txt' }],
        ])
        const r = await c().post('/peek', { body, headers: { 'content-type': type } })
        assert.equal(r.status, 200, r.text)
        assert.deepEqual(r.json(), { count: 2, texts: ['one', 'two'], names: ['a.txt', 'b.txt'], form: ['files'] })
        for (const p of seen) assert.equal(existsSync(p), false, `temp file ${p} removed`)
        assert.deepEqual(readdirSync(tempDir), [])
      })

      it(`${kind}: a malformed multipart body → 400`, async () => {
        let r = await c().post('/save', {
          body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nunterminated',
          headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
        })
        assert.equal(r.status, 400, r.text)
        r = await c().post('/save', { body: 'whatever', headers: { 'content-type': 'multipart/form-data' } })
        assert.equal(r.status, 400, r.text)
        assert.deepEqual(readdirSync(tempDir), [])
      })
    },
  )

  it('socket: curl -F uploads a 4 MB file with a nasty name; saved byte-identical', async () => {
    const origin = (transports().find((x) => x.kind === 'socket') as any).origin as string
    const src = join(mkdtempSync(join(tmpdir(), 'saddle-curl-')), 'plain.bin')
    const data = randomBytes(4 * 1024 * 1024)
    writeFileSync(src, data)
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'curl',
        ['-sS', '-F', `file=@${src};filename="a file;with|odd&chars.bin"`, '-F', 'note=from curl', `${origin}/save`],
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      ),
    )
    const j = JSON.parse(out)
    assert.equal(j.name, 'a_file_with_odd_chars.bin')
    assert.equal(j.note, 'from curl')
    assert.ok(readFileSync(j.path).equals(data))
    assert.deepEqual(readdirSync(tempDir), [])
  })

  it('socket: a 40 MB file against the 20 MB limit → 413, nothing left in the temp dir', async () => {
    const c = transports().find((x) => x.kind === 'socket')!
    const { body, type } = await multipart([['file', { data: Buffer.alloc(40 * 1024 * 1024, 7), filename: 'big.bin' }]])
    // Declared length over maxMultipartBodySize: refused before reading.
    let r = await c.post('/save', { body, headers: { 'content-type': type } })
    assert.equal(r.status, 413)
    // Within the body limit but the file over maxUploadFileSize: refused while streaming.
    const app2 = makeApp()
    app2.config.maxMultipartBodySize = 100 * 1024 * 1024
    const [, sock] = await clients(app2)
    try {
      r = await sock.post('/save', { body, headers: { 'content-type': type } })
      assert.equal(r.status, 413)
      assert.match(r.text, /over the limit/)
    } finally {
      await sock.close()
    }
    await new Promise((res) => setTimeout(res, 50))
    assert.deepEqual(readdirSync(tempDir), [])
    assert.deepEqual(
      readdirSync(saveDir).filter((n) => n.startsWith('big')),
      [],
    )
  })
})
