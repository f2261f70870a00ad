// No way out of a static root: every escape attempt is answered 400/403 right away (never handed to
// next()), over a raw socket so the request line reaches the server verbatim, and a secret kept
// beside the root never appears in any response.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { createStaticHandler } from '../src/static.js'
import { MaxAgeTable } from '../src/static-maxage.js'
import { rawRequest, startStaticServer } from './static-wire.js'

const SECRET = `TOP-SECRET-${randomBytes(12).toString('hex')}`
let base = ''

before(() => {
  base = mkdtempSync(join(tmpdir(), 'skitai-static-'))
  const root = join(base, 'root')
  mkdirSync(join(root, 'evil'), { recursive: true })
  mkdirSync(join(base, 'outside'))
  mkdirSync(join(base, 'root-evil'))
  writeFileSync(join(base, 'secret.txt'), SECRET)
  writeFileSync(join(base, 'outside', 'secret2.txt'), SECRET)
  writeFileSync(join(base, 'outside', 'index.html'), SECRET)
  writeFileSync(join(base, 'root-evil', 'secret3.txt'), SECRET) // shares the root's name as a prefix
  writeFileSync(join(root, 'public.txt'), 'public content')
  writeFileSync(join(root, '.env'), SECRET)
  symlinkSync(join(base, 'secret.txt'), join(root, 'link-out.txt')) // absolute link out
  symlinkSync('../outside', join(root, 'linkdir')) // relative directory link out
  symlinkSync('../../outside/index.html', join(root, 'evil', 'index.html')) // index file leading out
  symlinkSync('../root-evil/secret3.txt', join(root, 'sib.txt'))
  symlinkSync('public.txt', join(root, 'inner-link.txt')) // a link that stays inside is fine
  symlinkSync('.env', join(root, 'dot-link.txt')) // a link to a dotfile is a dotfile
  symlinkSync('root', join(base, 'root-via-link')) // the mounted root itself may be a symlink
})
after(() => rmSync(base, { recursive: true, force: true }))

/** [path after the mount point, expected status] — written verbatim on the request line. */
const ATTACKS: [string, 400 | 403, ('GET' | 'all')?][] = [
  ['/../secret.txt', 403],
  ['/..', 403],
  ['/../../../../../etc/passwd', 403],
  ['/./../secret.txt', 403],
  ['//../secret.txt', 403],
  ['/%2e%2e/secret.txt', 403],
  ['/%2E%2E/secret.txt', 403],
  ['/.%2e/secret.txt', 403],
  ['/%2e%2e%2fsecret.txt', 403],
  ['/..%2fsecret.txt', 403],
  ['/..%2Fsecret.txt', 403],
  ['/%252e%252e%252fsecret.txt', 403],
  ['/%252e%252e/secret.txt', 403],
  ['/..%255csecret.txt', 403],
  ['/..\\secret.txt', 403],
  ['/\\..\\secret.txt', 403],
  ['/..%5csecret.txt', 403],
  ['/%5c..%5csecret.txt', 403],
  ['/public.txt%00', 403],
  ['/%00../secret.txt', 403],
  ['/..%00/secret.txt', 403],
  ['/%2500', 403],
  ['/%c0%ae%c0%ae/secret.txt', 400], // overlong UTF-8 for '.', not decodable
  ['/%e0%80%ae%e0%80%ae/secret.txt', 400],
  ['/%', 400],
  ['/%zz', 400],
  ['/link-out.txt', 403],
  ['/linkdir/secret2.txt', 403],
  ['/linkdir/', 403],
  ['/evil/', 403, 'GET'], // a directory inside whose index leads out: POST goes to the app
  ['/evil', 403, 'GET'],
  ['/sib.txt', 403],
]

for (const [mountPoint, rootName] of [
  ['/static', 'root'],
  ['', 'root'],
  ['/static', 'root-via-link'],
] as const) {
  describe(`escape attempts against a root mounted at '${mountPoint || '/'}' (${rootName})`, () => {
    let port = 0
    let close: () => Promise<void>
    before(async () => {
      const started = await startStaticServer(
        createStaticHandler(join(base, rootName), { maxAge: new MaxAgeTable() }),
        mountPoint,
      )
      port = started.port
      close = started.close
    })
    after(() => close())

    test('the root still serves its own files and links that stay inside', async () => {
      const pub = await rawRequest(port, `${mountPoint}/public.txt`)
      assert.equal(pub.status, 200)
      assert.equal(pub.body.toString(), 'public content')
      const inner = await rawRequest(port, `${mountPoint}/inner-link.txt`)
      assert.equal(inner.status, 200)
      assert.equal(inner.body.toString(), 'public content')
    })

    for (const [path, status, methods] of ATTACKS) {
      test(`${JSON.stringify(path)} → ${status}, not handed on, nothing leaked`, async () => {
        for (const method of methods === 'GET' ? ['GET', 'HEAD'] : ['GET', 'HEAD', 'POST']) {
          const res = await rawRequest(port, mountPoint + path, method, { 'Content-Length': '0' })
          assert.equal(res.status, status, `${method} ${path}: ${res.raw}`)
          assert.equal(res.headers['x-next'], undefined, `${method} ${path} was handed to next()`)
          assert.ok(!res.raw.includes(SECRET), `${method} ${path} leaked the secret`)
          if (method === 'GET') assert.match(res.body.toString(), /^(400 Bad Request|403 Forbidden): /)
        }
      })
    }

    test('dotfiles and links to dotfiles are treated as absent, never served', async () => {
      for (const path of ['/.env', '/dot-link.txt', '/%2eenv']) {
        for (const method of ['GET', 'HEAD']) {
          const res = await rawRequest(port, mountPoint + path, method)
          assert.equal(res.status, 404, `${method} ${path}`)
          assert.equal(res.headers['x-next'], '1', `${method} ${path}`)
          assert.ok(!res.raw.includes(SECRET), `${method} ${path} leaked the secret`)
        }
      }
    })

    test('Range and conditional headers do not open a way out', async () => {
      const res = await rawRequest(port, `${mountPoint}/link-out.txt`, 'GET', { Range: 'bytes=0-5', 'If-Range': '"x"' })
      assert.equal(res.status, 403)
      assert.ok(!res.raw.includes(SECRET.slice(0, 6)))
    })
  })
}
