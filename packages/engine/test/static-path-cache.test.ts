// The static handler's checked-path cache (static-path-cache.ts): a hot file skips the containment check,
// but a symlink leading out that is planted over a cached file is refused once the ttl is over.
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, test } from 'node:test'
import { createStaticHandler } from '../src/static.js'
import { MaxAgeTable } from '../src/static-maxage.js'
import { STATIC_PATH_CACHE_TTL_MS, StaticPathCache } from '../src/static-path-cache.js'
import { rawRequest, startStaticServer } from './static-wire.js'

const SECRET = 'TOP-SECRET-OUTSIDE-THE-CACHED-ROOT'

let base = ''
let root = ''
before(() => {
  base = mkdtempSync(join(tmpdir(), 'skitai-static-cache-'))
  root = join(base, 'root')
  mkdirSync(join(root, 'dir'), { recursive: true })
  writeFileSync(join(base, 'secret.txt'), SECRET)
})
after(() => rmSync(base, { recursive: true, force: true }))

/** Replace `path` by a symlink to the secret outside the root, atomically (rename over it). */
function plantEscapingLink(path: string): void {
  const tmp = `${path}.planting`
  symlinkSync(join(base, 'secret.txt'), tmp)
  renameSync(tmp, path)
}

describe('StaticPathCache', () => {
  test('remembers a suffix until the ttl is over, then forgets it', async () => {
    const cache = new StaticPathCache({ ttlMs: 60 })
    cache.set('/a.txt', '')
    cache.set('/dir/', 'index.html')
    assert.equal(cache.get('/a.txt'), '')
    assert.equal(cache.get('/dir/'), 'index.html')
    assert.equal(cache.get('/b.txt'), undefined)
    await sleep(120)
    assert.equal(cache.get('/a.txt'), undefined)
    assert.equal(cache.get('/dir/'), undefined)
  })

  test('reading an entry does not extend its life', async () => {
    const cache = new StaticPathCache({ ttlMs: 100 })
    cache.set('/hot.txt', '')
    for (let i = 0; i < 5; i++) {
      await sleep(30)
      cache.get('/hot.txt')
    }
    assert.equal(cache.get('/hot.txt'), undefined) // 150 ms after the set, read every 30 ms
  })

  test('bounded: the least recently used paths go first', () => {
    const cache = new StaticPathCache({ ttlMs: 60_000, max: 3 })
    for (const p of ['/1', '/2', '/3']) cache.set(p, '')
    cache.get('/1')
    cache.set('/4', '')
    assert.equal(cache.size, 3)
    assert.equal(cache.get('/2'), undefined)
    assert.equal(cache.get('/1'), '')
    assert.equal(cache.get('/4'), '')
  })

  test('ttlMs 0 turns it off; bad options are clear errors', () => {
    const off = new StaticPathCache({ ttlMs: 0 })
    off.set('/a', '')
    assert.equal(off.get('/a'), undefined)
    assert.equal(off.size, 0)
    assert.equal(STATIC_PATH_CACHE_TTL_MS, 1000)
    assert.throws(() => new StaticPathCache({ ttlMs: -1 }), /ttlMs must be a number >= 0, got -1/)
    assert.throws(() => new StaticPathCache({ ttlMs: Number.NaN }), /ttlMs must be a number >= 0/)
    assert.throws(() => new StaticPathCache({ max: 0 }), /max must be an integer >= 1, got 0/)
  })
})

describe('static handler with the path cache', () => {
  test('default ttl (1 s): a file replaced by an escaping symlink is refused once the ttl is over', async () => {
    writeFileSync(join(root, 'swap.txt'), 'public swap')
    const started = await startStaticServer(createStaticHandler(root, { maxAge: new MaxAgeTable() }))
    try {
      const first = await rawRequest(started.port, '/swap.txt')
      assert.equal(first.status, 200)
      assert.equal(first.body.toString(), 'public swap')
      plantEscapingLink(join(root, 'swap.txt'))
      await sleep(STATIC_PATH_CACHE_TTL_MS + 200)
      for (const method of ['GET', 'HEAD', 'GET']) {
        const res = await rawRequest(started.port, '/swap.txt', method)
        assert.equal(res.status, 403, `${method}: ${res.raw}`)
        assert.ok(!res.raw.includes(SECRET), `${method} leaked the secret`)
      }
    } finally {
      await started.close()
    }
  })

  test('an index file replaced by an escaping symlink is refused once the ttl is over', async () => {
    writeFileSync(join(root, 'dir', 'index.html'), '<p>dir index</p>')
    const started = await startStaticServer(
      createStaticHandler(root, { maxAge: new MaxAgeTable(), pathCache: { ttlMs: 100 } }),
      '/s',
    )
    try {
      const first = await rawRequest(started.port, '/s/dir/')
      assert.equal(first.status, 200)
      assert.equal(first.body.toString(), '<p>dir index</p>')
      plantEscapingLink(join(root, 'dir', 'index.html'))
      await sleep(250)
      const res = await rawRequest(started.port, '/s/dir/')
      assert.equal(res.status, 403, res.raw)
      assert.ok(!res.raw.includes(SECRET))
    } finally {
      await started.close()
    }
  })

  test('within the ttl a hot file is served from the cache; a deleted one then goes to next()', async () => {
    writeFileSync(join(root, 'hot.txt'), 'hot file')
    const started = await startStaticServer(
      createStaticHandler(root, { maxAge: new MaxAgeTable(), pathCache: { ttlMs: 60_000 } }),
    )
    try {
      for (let i = 0; i < 20; i++) {
        const res = await rawRequest(started.port, i % 2 === 0 ? '/hot.txt' : '/hot%2etxt')
        assert.equal(res.status, 200)
        assert.equal(res.body.toString(), 'hot file')
      }
      // A cached path whose file is gone: send's own stat finds nothing → next(), never a 500.
      unlinkSync(join(root, 'hot.txt'))
      const gone = await rawRequest(started.port, '/hot.txt')
      assert.equal(gone.status, 404)
      assert.equal(gone.headers['x-next'], '1')
    } finally {
      await started.close()
    }
  })

  test('refusals and absences are never cached: a file created after a 404 is served at once', async () => {
    const started = await startStaticServer(
      createStaticHandler(root, { maxAge: new MaxAgeTable(), pathCache: { ttlMs: 60_000 } }),
    )
    try {
      const absent = await rawRequest(started.port, '/late.txt')
      assert.equal(absent.status, 404)
      assert.equal(absent.headers['x-next'], '1')
      writeFileSync(join(root, 'late.txt'), 'late file')
      const present = await rawRequest(started.port, '/late.txt')
      assert.equal(present.status, 200)
      assert.equal(present.body.toString(), 'late file')

      symlinkSync(join(base, 'secret.txt'), join(root, 'out.txt'))
      const out = await rawRequest(started.port, '/out.txt')
      assert.equal(out.status, 403)
      // replace the escaping link by a real file: served at once (the refusal was not remembered)
      unlinkSync(join(root, 'out.txt'))
      writeFileSync(join(root, 'out.txt'), 'now inside')
      const inside = await rawRequest(started.port, '/out.txt')
      assert.equal(inside.status, 200)
      assert.equal(inside.body.toString(), 'now inside')
    } finally {
      await started.close()
    }
  })

  test('concurrent first requests for one path share one check, and all are answered', async () => {
    writeFileSync(join(root, 'burst.txt'), 'burst file')
    symlinkSync(join(base, 'secret.txt'), join(root, 'burst-out.txt'))
    const started = await startStaticServer(
      createStaticHandler(root, { maxAge: new MaxAgeTable(), pathCache: { ttlMs: 50 } }),
    )
    try {
      for (let round = 0; round < 2; round++) {
        const inside = await Promise.all(Array.from({ length: 40 }, () => rawRequest(started.port, '/burst.txt')))
        for (const res of inside) assert.equal(res.body.toString(), 'burst file')
        const outside = await Promise.all(Array.from({ length: 40 }, () => rawRequest(started.port, '/burst-out.txt')))
        for (const res of outside) {
          assert.equal(res.status, 403)
          assert.ok(!res.raw.includes(SECRET))
        }
        await sleep(100) // the entry expires: the next burst checks again
      }
    } finally {
      await started.close()
    }
  })

  test('ttlMs 0: every request is checked, so a planted escaping symlink is refused at once', async () => {
    writeFileSync(join(root, 'nocache.txt'), 'no cache')
    const started = await startStaticServer(
      createStaticHandler(root, { maxAge: new MaxAgeTable(), pathCache: { ttlMs: 0 } }),
    )
    try {
      assert.equal((await rawRequest(started.port, '/nocache.txt')).status, 200)
      plantEscapingLink(join(root, 'nocache.txt'))
      const res = await rawRequest(started.port, '/nocache.txt')
      assert.equal(res.status, 403)
      assert.ok(!res.raw.includes(SECRET))
    } finally {
      await started.close()
    }
  })
})
