import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  PROTO_HTTP,
  Was,
  aliasStatus,
  disableCachefs,
  enableCachefs,
  registerAlias,
  unregisterAlias,
} from '@skitai/was'
import { backend } from './helpers.ts'

test('enableCachefs: responses are cached by their own Cache-Control (undici cache interceptor)', async () => {
  const b = await backend((req, res) => {
    const cacheable = req.url === '/cacheable'
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': cacheable ? 'max-age=60' : 'no-store' })
    res.end(JSON.stringify({ url: req.url }))
  })
  enableCachefs({ memmax: 1024 * 1024 })
  registerAlias('@cfs', PROTO_HTTP, `127.0.0.1:${b.port}`)
  try {
    const was = new Was('g', 1000)
    for (let i = 0; i < 3; i++)
      assert.deepEqual((await was.get('@cfs/cacheable').getwait(5)).data, { url: '/cacheable' })
    assert.equal(b.hits, 1, 'max-age=60: fetched once')
    for (let i = 0; i < 3; i++) await was.get(`http://127.0.0.1:${b.port}/nostore`).getwait(5)
    assert.equal(b.hits, 4, 'no-store: every time')
    await was.get('@cfs/cacheable', { useCache: false }).getwait(5)
    assert.equal(b.hits, 5, 'useCache: false sends Cache-Control: no-cache, which bypasses it')
    const st = aliasStatus().find((a) => a.name === 'cfs')!
    assert.deepEqual(st.members[0], {
      address: `127.0.0.1:${b.port}`,
      weight: 1,
      down: false,
      downReason: null,
      inflight: 0,
      failures: 0,
      // undici's cache interceptor answers below was: every call through the alias counts as answered
      calls: { ok: 4, error: 0, failed: 0, timeout: 0, cancelled: 0 },
    })
  } finally {
    disableCachefs()
    await unregisterAlias('@cfs')
    await b.close()
  }
})
