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

  test('transaction: one MULTI/EXEC; replies at EXEC; a refused command aborts all; nothing sent when fn throws', async () => {
    const db = () => w().db('@r')
    const both = await db().transaction(async (tx) => {
      const x = tx.execute('INCR', 'tx:n')
      const y = tx.execute('INCR', 'tx:n')
      return (await Promise.all([x, y])).map((r) => r.data)
    })
    assert.deepEqual(both, [1, 2])
    // a command Redis refuses while queueing (unknown) discards the block: the SET before it never ran
    await assert.rejects(
      db().transaction(async (tx) => {
        const set = tx.execute('SET', 'tx:aborted', '1')
        tx.execute('NOSUCHCOMMAND')
        return set
      }),
      (e: any) => e.name === 'DbFaultError' && e.code === 'EXECABORT',
    )
    assert.equal(await db().execute('GET', 'tx:aborted').fetch(5), null)
    // a command failing inside EXEC fails alone (Redis has no rollback); the others are applied
    await db().execute('SET', 'tx:s', 'text').wait(5)
    const outcome = await db().transaction(async (tx) => {
      const a = tx.execute('SET', 'tx:a', '1')
      const bad = tx.execute('LPUSH', 'tx:s', 'x')
      const b = tx.execute('SET', 'tx:b', '2')
      return Promise.allSettled([a, bad, b])
    })
    assert.deepEqual(
      outcome.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    )
    assert.equal((outcome[1] as PromiseRejectedResult).reason.code, 'WRONGTYPE')
    assert.deepEqual(await db().execute('MGET', 'tx:a', 'tx:b').fetch(5), ['1', '2'])
    // an unawaited failure is reported by the transaction itself
    await assert.rejects(
      db().transaction(async (tx) => {
        tx.execute('LPUSH', 'tx:s', 'x')
      }),
      (e: any) => e.code === 'WRONGTYPE',
    )
    // fn throws before any reply was awaited: EXEC was never sent, nothing ran
    await assert.rejects(
      db().transaction(async (tx) => {
        tx.execute('SET', 'tx:never', '1')
        throw new Error('changed my mind')
      }),
      /changed my mind/,
    )
    assert.equal(await db().execute('GET', 'tx:never').fetch(5), null)
    // a command issued after a reply was awaited cannot join the block
    await assert.rejects(
      db().transaction(async (tx) => {
        await tx.execute('SET', 'tx:first', '1')
        await tx.execute('SET', 'tx:late', '1')
      }),
      /came after EXEC was sent/,
    )
    assert.equal(await db().execute('GET', 'tx:late').fetch(5), null)
    await assert.rejects(
      w()
        .db.map('@dbs')
        .transaction(async () => 1),
      /a transaction runs on one member/,
    )
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
