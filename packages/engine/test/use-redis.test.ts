// skitai.useRedis refuses what cannot name a Redis, with a message naming the problem (the working
// path, two servers on one redis-server: test/shared-redis.test.ts).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Engine } from '@skitai/engine'
import { PROTO_HTTP, registerAlias, unregisterAlias } from '@skitai/was'

test('useRedis: an unknown alias, a non-Redis alias, a non-redis URL and a call after run() are errors', async () => {
  const e = new Engine()
  assert.throws(() => e.useRedis('@nowhere'), /useRedis\("@nowhere"\): no such alias/)
  registerAlias('@web', PROTO_HTTP, '127.0.0.1:9')
  try {
    assert.throws(() => e.useRedis('@web'), /the alias is http, not DB_REDIS/)
  } finally {
    await unregisterAlias('@web')
  }
  assert.throws(() => e.useRedis('http://127.0.0.1:6379'), /give a redis:\/\/ \(or rediss:\/\/\) URL or '@alias'/)
  assert.throws(() => e.useRedis(''), /give a redis:\/\/ URL or the name of a DB_REDIS alias/)
  await e.prepare()
  assert.throws(() => e.useRedis('redis://127.0.0.1:6379/0'), /call it before run\(\)\/listen\(\)/)
  await e.close()
})
