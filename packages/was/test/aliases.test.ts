import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  DB_PGSQL,
  DB_REDIS,
  DB_SQLITE3,
  PROTO_HTTP,
  PROTO_HTTPS,
  getAlias,
  makeCluster,
  parseMember,
  registerAlias,
  unregisterAlias,
} from '@skitai/was'

test('member syntax: credentials with %40, port, database, weight', () => {
  const m = parseMember('admin:p%40ss@db.local:6543/main 3', DB_PGSQL)
  assert.deepEqual(m, {
    host: 'db.local',
    port: 6543,
    user: 'admin',
    password: 'p@ss',
    database: 'main',
    weight: 3,
    path: null,
  })
  assert.equal(parseMember('db.local', DB_PGSQL).port, 5432)
  assert.equal(parseMember('10.0.0.1:5000', PROTO_HTTP).weight, 1)
  assert.equal(parseMember('10.0.0.2:5000 2', PROTO_HTTP).weight, 2)
  assert.equal(parseMember('example.com', PROTO_HTTPS).port, 443)
  const v6 = parseMember('[::1]:8080', PROTO_HTTP)
  assert.equal(v6.host, '::1')
  assert.equal(v6.port, 8080)
  assert.equal(parseMember('/var/db/app.sqlite3', DB_SQLITE3).path, '/var/db/app.sqlite3')
})

test('member syntax errors name the member', () => {
  assert.throws(() => parseMember('host:99999', PROTO_HTTP), /host:99999.*port out of range/)
  assert.throws(() => parseMember('a b c', PROTO_HTTP), /"a b c"/)
  assert.throws(() => parseMember('', PROTO_HTTP), /empty/)
  assert.throws(() => registerAlias('@x', 'ftp' as any, 'h:1'), /unknown type "ftp"/)
  assert.throws(() => registerAlias('@x', PROTO_HTTP, []), /at least one member/)
})

test('registerAlias: single string member, lookup with or without @, origin and auth', async () => {
  const c = registerAlias('@alias-t1', PROTO_HTTP, 'u:pw@127.0.0.1:5001 2', { ssl: true, role: 'api' })
  assert.equal(getAlias('alias-t1'), c)
  assert.equal(getAlias('@alias-t1'), c)
  const m = c.members[0]!
  assert.equal(m.origin, 'https://127.0.0.1:5001')
  assert.equal(m.authorization, `Basic ${Buffer.from('u:pw').toString('base64')}`)
  assert.equal(m.weight, 2)
  assert.equal(c.role, 'api')
  await unregisterAlias('@alias-t1')
  assert.equal(getAlias('@alias-t1'), undefined)
})

test('database members: pglite: paths, and an address that shows user@host, never the password', () => {
  const lite = makeCluster('lite', DB_PGSQL, ['pglite:./data/app 2', 'pglite:'])
  assert.deepEqual(
    lite.members.map((m) => [m.path, m.weight, m.address]),
    [
      ['pglite:./data/app', 2, 'pglite:./data/app'],
      ['pglite:', 1, 'pglite:'],
    ],
  )
  const pg = makeCluster('pg', DB_PGSQL, ['app:s%40cret@10.0.0.1:5433/app 3', 'app@10.0.0.2/app'])
  const [a, b] = pg.members
  assert.deepEqual([a?.user, a?.password, a?.port, a?.database, a?.weight], ['app', 's@cret', 5433, 'app', 3])
  assert.equal(a?.address, 'app@10.0.0.1:5433/app')
  assert.equal(b?.address, '10.0.0.2:5432/app')
  // Redis's password-only form ('secret@host') must not show the password as a user name.
  const r = makeCluster('r', DB_REDIS, 'secret@127.0.0.1:6380/2')
  assert.equal(r.members[0]?.address, '127.0.0.1:6380/2')
})
