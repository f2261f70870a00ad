import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Engine } from '@skitai/engine'
import { Saddle } from '@skitai/saddle'
import { KEY } from './serve.js'

/** Mounting (and listening) must fail with this message. */
async function mountFails(app: Saddle, message: RegExp): Promise<void> {
  const engine = new Engine({ argv: [] })
  engine.enableAccessLog(false)
  engine.mount('/', app)
  try {
    await assert.rejects(engine.listen({ port: 0, address: '127.0.0.1' }), message)
  } finally {
    await engine.close(1)
  }
}

function app(setup: (a: Saddle) => void): Saddle {
  const a = new Saddle(import.meta.url, { name: 'settings' })
  a.route('/', () => 'x')
  setup(a)
  return a
}

test('security settings are checked when the app is mounted, with messages naming the setting', async () => {
  await mountFails(
    app((a) => {
      a.securekey = 'too short'
    }),
    /app\.securekey.*at least 32 characters.*9 characters long/,
  )
  await mountFails(
    app((a) => {
      a.authenticate = 'digest'
    }),
    /app\.authenticate = 'digest' needs app\.users .* or app\.authorizationHandler/,
  )
  await mountFails(
    app((a) => {
      a.authenticate = 'bearer'
    }),
    /needs app\.securekey \(for JWTs\) or app\.bearerHandler/,
  )
  await mountFails(
    app((a) => {
      a.authenticate = 'kerberos' as any
    }),
    /app\.authenticate must be 'basic', 'digest' or 'bearer'/,
  )
  await mountFails(
    app((a) => {
      a.accessControlAllowOrigin = ['example.com']
    }),
    /example\.com is not an origin/,
  )
  await mountFails(
    app((a) => {
      a.securekey = KEY
      a.jwtAlgorithms = ['none']
    }),
    /jwtAlgorithms: none is not allowed/,
  )
  await mountFails(
    app((a) => {
      a.route('/post', { methods: ['POST'], csrfVerify: true }, () => 'x')
    }),
    /route \/post \(csrfVerify\) needs app\.securekey/,
  )
  await mountFails(
    app((a) => {
      a.route('/admin', { authenticate: 'basic' }, () => 'x')
    }),
    /route \/admin \(authenticate: 'basic'\) needs app\.users/,
  )
})
