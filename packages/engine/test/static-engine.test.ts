// Static directories through the Engine's mount(): at '/static' and at '/', beside a Node listener at
// the same point that gets every path with no file, over real sockets.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Engine } from '@skitai/engine'
import { Pool } from 'undici'
import { quietEngine } from './helpers.js'
import { rawRequest } from './static-wire.js'

const FIXTURES = fileURLToPath(new URL('./fixtures/static/', import.meta.url))
const SECRET = `ENGINE-SECRET-${randomBytes(12).toString('hex')}`

describe('static directories mounted on the engine', () => {
  let engine: Engine
  let port = 0
  let pool: Pool
  let base = ''
  const appSaw: string[] = []

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'skitai-static-engine-'))
    const site = join(base, 'site')
    mkdirSync(site)
    writeFileSync(join(base, 'secret.txt'), SECRET)
    writeFileSync(join(site, 'index.html'), '<p>site home</p>')
    writeFileSync(join(site, 'public.txt'), 'public at the root')
    writeFileSync(join(site, '.env'), SECRET)
    symlinkSync(join(base, 'secret.txt'), join(site, 'link-out.txt'))

    engine = quietEngine()
    engine.mount('/static', FIXTURES)
    engine.mount('/', site)
    engine.mount('/', (req: IncomingMessage, res: ServerResponse) => {
      appSaw.push(`${req.method} ${req.url}`)
      res.setHeader('Content-Type', 'text/plain')
      res.end(`APP ${req.method} ${req.url}`)
    })
    engine.setMaxAge('/', 300)
    engine.setMaxAge('/static/js', 0)
    port = await engine.listen({ port: 0 })
    pool = new Pool(`http://127.0.0.1:${port}`)
  })
  after(async () => {
    await pool.close()
    await engine.close()
    rmSync(base, { recursive: true, force: true })
  })

  async function get(path: string, method = 'GET', headers: Record<string, string> = {}) {
    const r = await pool.request({ method: method as 'GET', path, headers })
    return { status: r.statusCode, headers: r.headers, body: Buffer.from(await r.body.arrayBuffer()) }
  }

  test("at '/static': files, index, redirects, max-age per prefix", async () => {
    const css = await get('/static/style.css')
    assert.equal(css.status, 200)
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8')
    assert.equal(css.headers['cache-control'], 'max-age=300')
    assert.deepEqual(css.body, readFileSync(`${FIXTURES}style.css`))
    assert.equal((await get('/static/js/app.js')).headers['cache-control'], 'max-age=0')
    const index = await get('/static/')
    assert.deepEqual(index.body, readFileSync(`${FIXTURES}index.html`))
    const bare = await get('/static')
    assert.equal(bare.status, 301)
    assert.equal(bare.headers.location, '/static/')
    const sub = await get('/static/sub?a=1')
    assert.equal(sub.status, 301)
    assert.equal(sub.headers.location, '/static/sub/?a=1')
  })

  test("at '/static' with no app there: a missing file is the engine's 404, not the root app's", async () => {
    const before = appSaw.length
    const res = await get('/static/missing.txt')
    assert.equal(res.status, 404)
    assert.equal(appSaw.length, before)
  })

  test('Range, conditional GET and HEAD through the engine', async () => {
    const range = await get('/static/digits.txt', 'GET', { range: 'bytes=10-12' })
    assert.equal(range.status, 206)
    assert.equal(range.body.toString(), 'abc')
    const etag = (await get('/static/digits.txt')).headers.etag as string
    const notModified = await get('/static/digits.txt', 'GET', { 'if-none-match': etag })
    assert.equal(notModified.status, 304)
    assert.equal(notModified.body.length, 0)
    const head = await get('/static/data.json', 'HEAD')
    assert.equal(head.status, 200)
    assert.equal(head.headers['content-length'], String(readFileSync(`${FIXTURES}data.json`).length))
    assert.equal(head.body.length, 0)
  })

  test("at '/' beside an app: a file wins, every other path reaches the app", async () => {
    assert.equal((await get('/public.txt')).body.toString(), 'public at the root')
    assert.equal((await get('/')).body.toString(), '<p>site home</p>')
    assert.equal((await get('/nothing/here?x=1')).body.toString(), 'APP GET /nothing/here?x=1')
    // dotfiles are never served; the path is the app's (e.g. /.well-known/)
    const dot = await get('/.env')
    assert.equal(dot.body.toString(), 'APP GET /.env')
    assert.equal((await get('/.well-known/thing')).body.toString(), 'APP GET /.well-known/thing')
    // other methods: 405 where a file is, the app elsewhere
    const post = await get('/public.txt', 'POST')
    assert.equal(post.status, 405)
    assert.equal(post.headers.allow, 'GET, HEAD')
    assert.equal((await get('/form', 'POST')).body.toString(), 'APP POST /form')
  })

  test('escape attempts through the engine: 400/403, never handed to the app, nothing leaked', async () => {
    const attacks: [string, number][] = [
      ['/../secret.txt', 403],
      ['/static/../secret.txt', 403],
      ['/static/../../secret.txt', 403],
      ['/%2e%2e/secret.txt', 403],
      ['/static/%2e%2e/%2e%2e/secret.txt', 403],
      ['/static/..%2f..%2fsecret.txt', 403],
      ['/%252e%252e%252fsecret.txt', 403],
      ['/..\\secret.txt', 403],
      ['/static/..%5c..%5csecret.txt', 403],
      ['/secret.txt%00', 403],
      ['/%c0%ae%c0%ae/secret.txt', 400],
      ['/link-out.txt', 403],
    ]
    const before = appSaw.length
    for (const [target, status] of attacks) {
      const res = await rawRequest(port, target)
      assert.equal(res.status, status, `${target}: ${res.raw}`)
      assert.ok(!res.raw.includes(SECRET), `${target} leaked the secret`)
      assert.doesNotMatch(res.body.toString(), /^APP /, `${target} reached the app`)
    }
    assert.equal(appSaw.length, before, `the app saw: ${appSaw.slice(before).join(', ')}`)
  })
})
