// DB_REDIS through ioredis against real redis-server processes started here: commands as
// execute(cmd, ...args), Redis errors as faults, `.map` over two databases, `.lb` with a member stopped.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { DB_REDIS, Was, registerAlias, unregisterAlias } from '@skitai/was'
import { type RedisServer, haveRedis, startRedis } from './db-servers.js'

const w = () => new Was('test', 1000)

describe('Redis through was.db', { skip: haveRedis ? false : 'redis-server not installed' }, () => {
  let a: RedisServer
  let b: RedisServer
  before(async () => {
    ;[a, b] = await Promise.all([startRedis(), startRedis()])
    registerAlias('@r', DB_REDIS, `127.0.0.1:${a.port}/0`)
    registerAlias('@dbs', DB_REDIS, [`127.0.0.1:${a.port}/1`, `127.0.0.1:${a.port}/2`])
    registerAlias('@pair', DB_REDIS, [`127.0.0.1:${a.port}/3`, `127.0.0.1:${b.port}/3`], { probeInterval: 30 })
  })
  after(async () => {
    for (const n of ['@r', '@dbs', '@pair']) await unregisterAlias(n)
    await Promise.all([a.destroy(), b.destroy()])
  })

  test('commands with separate arguments; replies as data; errors as faults', async () => {
    const set = await w().db('@r').execute('SET', 'city', "Seoul'; FLUSHALL").getwait(5)
    assert.deepEqual([set.status, set.status_code, set.data], [3, 200, 'OK'])
    assert.equal(await w().db('@r').execute('GET', 'city').fetch(5), "Seoul'; FLUSHALL")
    await w().db('@r').execute('HSET', 'h', 'a', '1', 'b', 2).wait(5)
    assert.deepEqual(await w().db('@r').execute('HGETALL', 'h').fetch(5), ['a', '1', 'b', '2'])
    const bad = await w().db('@r').execute('LPUSH', 'city', 'x').getwait(5)
    assert.deepEqual([bad.status, bad.status_code, bad.fault?.code], [3, 500, 'WRONGTYPE'])
    const unknown = await w().db('@r').execute('NOSUCHCOMMAND').getwait(5)
    assert.equal(unknown.fault?.code, 'ERR')
  })

  test('.map over two databases: one Result per member, in member order', async () => {
    await w().db.map('@dbs').execute('SET', 'k', 'v').wait(5)
    const set = await w().db.map('@dbs').execute('DBSIZE').getswait(5)
    assert.deepEqual(set.status_code, [200, 200])
    assert.deepEqual(set.data, [1, 1])
  })

  test('.lb with one member stopped: 100 commands, 0 failures', async () => {
    await w().db.lb('@pair').execute('PING').wait(5)
    await w().db.lb('@pair').execute('PING').wait(5)
    await b.stop()
    const rs = await Promise.all(
      Array.from({ length: 100 }, (_, i) => w().db.lb('@pair').execute('ECHO', String(i)).getwait(10)),
    )
    const failed = rs.filter((r) => r.status_code !== 200)
    assert.equal(failed.length, 0, failed.map((r) => r.reason).join('; '))
    assert.deepEqual(
      rs.map((r) => r.data),
      Array.from({ length: 100 }, (_, i) => String(i)),
    )
    await b.start()
  })
})
