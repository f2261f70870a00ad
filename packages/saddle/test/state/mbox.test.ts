import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CookieJar } from '../../src/state/cookie.js'
import { MessageBox } from '../../src/state/mbox.js'
import { SESSION_COOKIE, Session } from '../../src/state/session.js'

const KEY = 'm'.repeat(40)

/** Simulates consecutive requests of one browser: each gets the cookie the previous one set. */
function browser() {
  let cookie: string | undefined
  return async <T>(fn: (mbox: MessageBox, s: Session) => T): Promise<T> => {
    const jar = new CookieJar(cookie, '/')
    const s = new Session({ jar, securekey: KEY, timeout: 600, path: '/', secure: false, clientAddress: () => '::1' })
    const out = fn(new MessageBox(s), s)
    await s.commit()
    for (const line of jar.setCookieHeaders()) {
      if (line.startsWith(`${SESSION_COOKIE}=`)) {
        const v = line.slice(SESSION_COOKIE.length + 1).split(';')[0]!
        cookie = v === '' ? undefined : `${SESSION_COOKIE}=${v}`
      }
    }
    return out
  }
}

test('a read-once message survives a redirect and is gone after it was read', async () => {
  const req = browser()
  const id = await req((m) => m.send('Saved.', 'info'))
  assert.equal(id, 1)
  const first = await req((m) => m.get())
  assert.equal(first.length, 1)
  assert.equal(first[0]!.msg, 'Saved.')
  assert.equal(first[0]!.category, 'info')
  assert.deepEqual(await req((m) => m.get()), [])
})

test('categories, validSeconds, extra and remove', async () => {
  const req = browser()
  await req((m) => {
    m.send('once', 'info')
    m.send('sticky', 'notice', 60, { link: '/x' })
    m.send('warn', 'error')
  })
  const errors = await req((m) => m.get('error'))
  assert.deepEqual(
    errors.map((x) => x.msg),
    ['warn'],
  )
  const all = await req((m) => m.get())
  assert.deepEqual(
    all.map((x) => x.msg),
    ['once', 'sticky'],
  )
  assert.deepEqual(all[1]!.extra, { link: '/x' })
  const again = await req((m) => m.get())
  assert.deepEqual(
    again.map((x) => x.msg),
    ['sticky'],
    'a message with validSeconds > 0 stays until it expires',
  )
  assert.equal(await req((m) => m.remove(again[0]!.id)), true)
  assert.deepEqual(await req((m) => m.get()), [])
  assert.throws(() => new MessageBox(null as any).send('x', 'info', -1), /validSeconds/)
})

test('messages are hidden from the session keys and survive session.clear()', async () => {
  const req = browser()
  await req((m, s) => {
    s.set('user', 'a')
    m.send('bye')
    s.clear()
    assert.deepEqual(s.keys(), [])
  })
  assert.equal((await req((m) => m.get()))[0]!.msg, 'bye')
})
