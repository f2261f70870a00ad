// RedisSharedState against a real redis-server started by the test: two backends (as two hosts would
// hold) converge on the same last write, deletions and expiries travel, and one that starts while Redis
// is down serves locally and joins later. Two real server processes: test/shared-redis.test.ts.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { RedisSharedState } from '@skitai/was'
import { freePort, haveRedis, type RedisServer, startRedis } from './db-servers.js'

const skip = haveRedis ? false : 'redis-server is not installed (.ci/run installs it)'
let redis: RedisServer
const opened: RedisSharedState[] = []
const logs: string[] = []

function open(url = redis.url, prefix = 't1:'): RedisSharedState {
  const s = new RedisSharedState(url, { prefix, log: (level, m) => logs.push(`${level} ${m}`) })
  opened.push(s)
  return s
}

async function until(what: string, ok: () => boolean, limitMs = 5000): Promise<void> {
  const t0 = Date.now()
  while (!ok()) {
    if (Date.now() - t0 > limitMs) assert.fail(`${what}: not after ${limitMs} ms`)
    await sleep(5)
  }
}

before(async () => {
  if (!skip) redis = await startRedis()
})
after(async () => {
  await Promise.all(opened.map((s) => s.close()))
  if (!skip) await redis.destroy()
})

test('concurrent writes of one key end with the same value on both; deletes and expiries travel', {
  skip,
}, async () => {
  const x = open()
  const y = open()
  assert.equal(await x.ready(), true)
  assert.equal(await y.ready(), true)
  for (let i = 0; i < 50; i++) {
    x.set('k', `x${i}`)
    y.set('k', `y${i}`)
  }
  await until('both hold one value', () => x.get('k') === y.get('k') && /49$/.test(String(x.get('k'))))
  await sleep(50)
  assert.equal(x.get('k'), y.get('k'))

  const seen: unknown[] = []
  y.onChange((key, value) => key === 'gone' && seen.push(value))
  x.set('gone', 1)
  await until('y has it', () => y.get('gone') === 1)
  x.set('gone', undefined)
  await until('y deleted it', () => y.get('gone') === undefined)
  assert.deepEqual(seen, [1, undefined])

  x.set('short', 'v', 300)
  await until('y has the expiring key', () => y.get('short') === 'v')
  await sleep(350)
  assert.equal(y.get('short'), undefined, 'expired on y at the same time')

  const got: unknown[] = []
  y.subscribe('topic', (m) => got.push(m))
  const mine: unknown[] = []
  x.subscribe('topic', (m) => mine.push(m))
  x.publish('topic', { n: 1 })
  await until('y got the message', () => got.length === 1)
  assert.deepEqual(got, [{ n: 1 }])
  assert.deepEqual(mine, [{ n: 1 }], 'the publisher gets its own message once')
})

test('another prefix is another service: nothing crosses', { skip }, async () => {
  const x = open(redis.url, 'svcA:')
  const y = open(redis.url, 'svcB:')
  await Promise.all([x.ready(), y.ready()])
  x.set('only-a', 1)
  await sleep(100)
  assert.equal(y.get('only-a'), undefined)
})

test('started while Redis is unreachable: ready() says false and it serves its own values', { skip }, async () => {
  const port = await freePort()
  const lonely = open(`redis://127.0.0.1:${port}/0`, 't3:')
  assert.equal(await lonely.ready(300), false)
  lonely.set('mine', 'local')
  assert.equal(lonely.get('mine'), 'local')
  assert.equal(lonely.connected, false)
})
