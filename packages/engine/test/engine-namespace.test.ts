import assert from 'node:assert/strict'
import { dirname } from 'node:path'
import { test } from 'node:test'
import skitai, { Engine, HttpError, readBody } from '@skitai/engine'
import { getAlias, HttpError as WasHttpError, PROTO_HTTP, unregisterAlias } from '@skitai/was'

test('the default export is the skitai namespace: a bound default Engine with the alias constants', () => {
  assert.ok(skitai instanceof Engine)
  assert.equal(skitai.Engine, Engine)
  assert.equal(skitai.PROTO_HTTP, PROTO_HTTP)
  for (const k of ['PROTO_HTTPS', 'PROTO_WS', 'PROTO_WSS', 'DB_PGSQL', 'DB_SQLITE3', 'DB_REDIS'] as const) {
    assert.notEqual(skitai[k], undefined, k)
  }
  assert.equal(HttpError, WasHttpError, 'one HttpError class shared with @skitai/was')
  assert.equal(typeof readBody, 'function')
  const { pref, abspath } = skitai // bound methods survive destructuring
  assert.equal(pref().maxClientBodySize, 64 * 1024 * 1024)
  // relative to the running script's directory (this test file under node --test)
  assert.equal(abspath('a', 'b'), `${dirname(process.argv[1] as string)}/a/b`)
})

test('skitai.alias registers a backend cluster in @skitai/was', () => {
  const cluster = skitai.alias('@engine-ns-test', skitai.PROTO_HTTP, ['127.0.0.1:5999 2', '127.0.0.1:5998'])
  try {
    assert.equal(getAlias('@engine-ns-test'), cluster)
  } finally {
    unregisterAlias('@engine-ns-test')
  }
})

test('settings are validated', () => {
  const e = new Engine()
  assert.throws(() => e.setKeepAlive(-1), /setKeepAlive: seconds must be a number >= 0/)
  assert.throws(() => e.setRequestTimeout(Number.NaN), /setRequestTimeout/)
  assert.throws(() => e.set503EstimatedTimeout(-3), /set503EstimatedTimeout/)
  assert.throws(() => e.addOption('q', '--q'), /short option must look like '-q'/)
  assert.throws(() => e.addOption(null, 'bad'), /long option must look like/)
  e.addOption('-x', '--xray')
  assert.throws(() => e.addOption(null, '--xray'), /defined twice/)
})

test('skitai.setMaxRcache, enableCachefs and deflu configure @skitai/was', async () => {
  const { cacheStats, cachefsEnabled, disableCachefs, getlu, setlu } = await import('@skitai/was')
  const before = cacheStats().max
  try {
    assert.equal(skitai.setMaxRcache(321), skitai)
    assert.equal(cacheStats().max, 321)
    assert.throws(() => skitai.setMaxRcache(0), /positive integer/)
  } finally {
    skitai.setMaxRcache(before)
  }
  try {
    skitai.enableCachefs({ memmax: 1024 * 1024 })
    assert.equal(cachefsEnabled(), true)
  } finally {
    disableCachefs()
  }
  assert.throws(() => getlu('engine-ns.undeclared'), /not declared/)
  skitai.deflu('engine-ns.users')
  assert.equal(getlu('engine-ns.users'), 0)
  setlu('engine-ns.users')
  assert.ok(getlu('engine-ns.users') > 0)
})
