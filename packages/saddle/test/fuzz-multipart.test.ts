/**
 * Property-based fuzzing (fast-check) of the multipart wrapper (busboy → fields and temporary files),
 * through a Saddle app on a real socket: any well-formed body round-trips (every field value and every
 * file's bytes), hostile names stay data, and a mangled or truncated body is answered 400/413 — never a
 * 500 — with no temporary file left behind and no prototype polluted. FUZZ_RUNS sets the runs, FUZZ_SEED the seed.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Saddle, UploadedFile } from '@skitai/saddle'
import fc from 'fast-check'
import { type Client, clients, closeAll } from './helpers.ts'

const RUNS = Number(process.env.FUZZ_RUNS ?? 60)
// FUZZ_SEED replays a run fast-check reported (its "seed" in the failure message)
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)
const BOUNDARY = 'fuzzBoundary7MA4YWxk'
const TYPE = `multipart/form-data; boundary=${BOUNDARY}`

interface Part {
  name: string
  file: string | null
  data: Buffer
}

function makeApp(tempDir: string): Saddle {
  const app = new Saddle(import.meta.url, { name: 'fuzzmp' })
  app.config.uploadTempDir = tempDir
  app.config.maxMultipartBodySize = 64 * 1024
  app.config.maxUploadFileSize = 8 * 1024
  app.route('/up', { methods: ['POST'] }, async (_was, { ...all }) => {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(all)) out[k] = await describeValue(v)
    return out
  })
  return app
}

async function describeValue(v: unknown): Promise<unknown> {
  if (Array.isArray(v)) return Promise.all(v.map(describeValue))
  if (v instanceof UploadedFile) {
    assert.ok(!v.name.includes('/') && !v.name.includes('\\') && !v.name.startsWith('.'), v.name)
    return { file: (await v.read()).toString('hex') }
  }
  return v
}

function encode(parts: Part[]): Buffer {
  const out: Buffer[] = []
  for (const p of parts) {
    const file = p.file === null ? '' : `; filename="${p.file}"`
    const type = p.file === null ? '' : 'Content-Type: application/octet-stream\r\n'
    out.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"${file}\r\n${type}\r\n`))
    out.push(p.data, Buffer.from('\r\n'))
  }
  out.push(Buffer.from(`--${BOUNDARY}--\r\n`))
  return Buffer.concat(out)
}

/** What the handler should see: fields by name (repeats as arrays), files as their bytes. */
function expected(parts: Part[]): Record<string, unknown> {
  const fields = new Map<string, unknown[]>()
  const files = new Map<string, unknown[]>()
  for (const p of parts) {
    const into = p.file === null ? fields : files
    const v = p.file === null ? p.data.toString('utf8') : { file: p.data.toString('hex') }
    into.set(p.name, [...(into.get(p.name) ?? []), v])
  }
  const out = new Map<string, unknown>()
  for (const [k, vs] of fields) out.set(k, vs.length === 1 ? vs[0] : vs)
  // files join their field after the text values (upload.ts), a lone file as itself
  for (const [k, vs] of files) {
    const old = out.get(k)
    const all = old === undefined ? vs : [...(Array.isArray(old) ? old : [old]), ...vs]
    out.set(k, all.length === 1 ? all[0] : all)
  }
  return Object.fromEntries(out)
}

/** Names: plain, or hostile ones that must stay mere data (no quotes or CR/LF: those break the header). */
const name = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/),
  fc.constantFrom('toString', 'hasOwnProperty', 'valueOf'),
)
const filename = fc.oneof(
  fc.stringMatching(/^[\w.-]{1,12}$/),
  fc.constantFrom('../../etc/passwd', '..\\..\\boot.ini', '.htaccess', 'a/b/c.txt', 'x;y|z.sh', '   '),
)
const part = fc.record({
  name,
  file: fc.option(filename, { nil: null }),
  // text fields as UTF-8 without CR (a form field's CRLF is the client's to normalise)
  data: fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => Buffer.from(s.replace(/\r/g, ''))),
    fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
  ),
})

function tempFiles(dir: string): number {
  return readdirSync(dir).length
}

describe('fuzz: multipart wrapper (fast-check, real socket)', () => {
  let list: Client[] = []
  let c: Client
  const dir = mkdtempSync(join(tmpdir(), 'skitai-fuzz-mp-'))
  before(async () => {
    list = await clients(makeApp(dir))
    c = list.find((x) => x.kind === 'socket')!
  })
  after(async () => {
    await closeAll(list)
    rmSync(dir, { recursive: true, force: true })
  })

  it('well-formed bodies round-trip: field values and file bytes; no temporary file left', async () => {
    await fc.assert(
      fc.asyncProperty(
        // binary data only in files: a text field carries UTF-8
        fc
          .array(part, { maxLength: 6 })
          .map((ps) =>
            ps.map((p) =>
              p.file === null ? { ...p, data: Buffer.from(p.data.toString('utf8').replace(/\r/g, '')) } : p,
            ),
          ),
        async (parts) => {
          const r = await c.post('/up', { body: encode(parts), headers: { 'content-type': TYPE } })
          assert.equal(r.status, 200, `${r.status} ${r.text.slice(0, 300)}`)
          assert.deepEqual(r.json(), expected(parts))
          assert.equal(tempFiles(dir), 0, 'temporary files left')
        },
      ),
      { numRuns: RUNS, seed: SEED },
    )
  })

  it('mangled, truncated and oversize bodies: 200/400/413, never a 500, no temporary file left', async () => {
    const edit = fc.tuple(
      fc.nat(),
      fc.nat({ max: 40 }),
      fc.constantFrom(
        '',
        '\r\n',
        `--${BOUNDARY}`,
        `--${BOUNDARY}--`,
        '\r\n\r\n',
        'Content-Disposition: form-data',
        '"',
        ';',
        '\x00',
      ),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(part, { maxLength: 6 }),
        fc.array(edit, { maxLength: 4 }),
        fc.nat({ max: 20_000 }),
        async (parts, edits, pad) => {
          let body = encode(parts)
          for (const [at, cut, put] of edits) {
            const i = at % (body.length + 1)
            body = Buffer.concat([body.subarray(0, i), Buffer.from(put), body.subarray(i + cut)])
          }
          // some bodies grow past the file or body limits
          if (pad > 15_000)
            body = Buffer.concat([body.subarray(0, 200), Buffer.alloc(pad * 4, 'z'), body.subarray(200)])
          const r = await c.post('/up', { body, headers: { 'content-type': TYPE } })
          assert.ok([200, 400, 413].includes(r.status), `${r.status} ${r.text.slice(0, 300)}`)
          assert.equal(({} as Record<string, unknown>).polluted, undefined)
          for (let i = 0; i < 20 && tempFiles(dir) > 0; i++) await new Promise((res) => setTimeout(res, 10))
          assert.equal(tempFiles(dir), 0, 'temporary files left')
        },
      ),
      { numRuns: RUNS * 2, seed: SEED },
    )
  })
})
