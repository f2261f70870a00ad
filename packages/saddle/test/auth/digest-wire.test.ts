import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { Saddle } from '@skitai/saddle'
import { KEY, type Served, serve } from './serve.js'

const run = promisify(execFile)
let srv: Served
let handled = 0

function digestApp(name: string, setup: (app: Saddle) => void): Saddle {
  const app = new Saddle(import.meta.url, { name })
  app.securekey = KEY
  app.authenticate = 'digest'
  app.realm = 'skitai test'
  app.users = { alice: 'wonder land' }
  setup(app)
  app.route('/whoami', (was) => {
    handled++
    const alg = /algorithm="?([\w-]+)/.exec(was.request.getHeader('authorization') ?? '')?.[1] ?? '?'
    return `${was.request.user} ${alg}`
  })
  app.route('/upload', { methods: ['POST'] }, async (was) => String((await was.request.body()).length))
  return app
}

/** Digest on one route only (the app has no app-wide scheme), so every RPC call of it is checked. */
function perRouteApp(): Saddle {
  const app = new Saddle(import.meta.url, { name: 'digest-route' })
  app.securekey = KEY
  app.realm = 'skitai test'
  app.users = { alice: 'wonder land' }
  app.route('/who', { authenticate: 'digest' }, (was) => `${was.request.user}`)
  return app
}

before(async () => {
  srv = await serve({
    '/': digestApp('digest-md5', () => {}),
    '/sha': digestApp('digest-sha', (a) => {
      a.digestAlgorithms = ['SHA-256', 'MD5']
    }),
    '/per-route': perRouteApp(),
    '/fast': digestApp('digest-fast', (a) => {
      a.digestNonceTimeout = 1
      a.users = null
      a.authorizationHandler(async (_was, user) => (user === 'bob' ? 'b0b-pass' : undefined))
    }),
  })
})
after(() => srv.close())

async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-s', '-o', '-', '-w', '\n%{http_code}', ...args])
  const nl = stdout.lastIndexOf('\n')
  return { status: Number(stdout.slice(nl + 1)), body: stdout.slice(0, nl) }
}

test('curl --digest: MD5 by default, SHA-256 when the app prefers it; wrong password → 401', async () => {
  const md5 = await curl(['--digest', '-u', 'alice:wonder land', `${srv.base}/whoami?x=1&y=2`])
  assert.deepEqual(md5, { status: 200, body: 'alice MD5' })
  const sha = await curl(['--digest', '-u', 'alice:wonder land', `${srv.base}/sha/whoami`])
  assert.deepEqual(sha, { status: 200, body: 'alice SHA-256' })
  const wrong = await curl(['--digest', '-u', 'alice:wonderland', `${srv.base}/whoami`])
  assert.equal(wrong.status, 401)
  const nobody = await curl(['--digest', '-u', 'mallory:wonder land', `${srv.base}/whoami`])
  assert.equal(nobody.status, 401)
  assert.ok(await srv.logLine(/GET \/whoami\?x=1&y=2 .* 200 .* "alice" /), 'the access log shows the user')
})

test("Python's urllib HTTPDigestAuthHandler authenticates; a wrong password gets 401", async () => {
  const py = `
import sys, urllib.request, urllib.error
url, user, pw = sys.argv[1:4]
mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
mgr.add_password(None, url, user, pw)
opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(mgr))
try:
    r = opener.open(url + '/whoami?q=1')
    print(r.status, r.read().decode())
    r = opener.open(url + '/whoami?q=2')
    print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, 'error')
`
  const ok = await run('python3', ['-c', py, srv.base, 'alice', 'wonder land'])
  assert.equal(ok.stdout.trim(), '200 alice MD5\n200 alice MD5')
  const bad = await run('python3', ['-c', py, srv.base, 'alice', 'nope'])
  assert.equal(bad.stdout.trim(), '401 error')
})

/** A minimal digest client, to replay requests exactly. */
function answer(challenge: string, user: string, pw: string, method: string, uri: string, nc: number) {
  const p = Object.fromEntries([...challenge.matchAll(/(\w+)="?([^",]*)"?/g)].map((m) => [m[1], m[2]]))
  const H = (s: string) =>
    createHash(p.algorithm === 'SHA-256' ? 'sha256' : 'md5')
      .update(s)
      .digest('hex')
  const cnonce = randomBytes(8).toString('hex')
  const ncs = nc.toString(16).padStart(8, '0')
  const response = H(`${H(`${user}:${p.realm}:${pw}`)}:${p.nonce}:${ncs}:${cnonce}:auth:${H(`${method}:${uri}`)}`)
  return (
    `Digest username="${user}", realm="${p.realm}", nonce="${p.nonce}", uri="${uri}", algorithm=${p.algorithm}, ` +
    `qop=auth, nc=${ncs}, cnonce="${cnonce}", response="${response}", opaque="${p.opaque}"`
  )
}

test('a replayed request (same nonce count) and a nonce used after it expired → 401 stale=true', async () => {
  const first = await srv.get('/fast/whoami')
  assert.equal(first.status, 401)
  const challenges = first.headers['www-authenticate'] as string[]
  assert.equal(challenges.length, 2, 'one challenge per algorithm, as separate header lines')
  assert.match(challenges[0]!, /^Digest realm="skitai test", qop="auth", algorithm=MD5, nonce="[\w-]{43}", opaque="/)
  assert.match(challenges[1]!, /algorithm=SHA-256/)
  const auth1 = answer(challenges[0]!, 'bob', 'b0b-pass', 'GET', '/fast/whoami', 1)
  const ok = await srv.get('/fast/whoami', { authorization: auth1 })
  assert.equal(ok.status, 200)
  assert.equal(ok.text, 'bob MD5')
  const before = handled
  const replay = await srv.get('/fast/whoami', { authorization: auth1 })
  assert.equal(replay.status, 401)
  assert.match(String(replay.headers['www-authenticate']), /stale=true/)
  // The same header for another URI is refused too.
  assert.equal((await srv.get('/fast/upload', { authorization: auth1 })).status, 401)
  await sleep(1300)
  const late = await srv.get('/fast/whoami', {
    authorization: answer(challenges[0]!, 'bob', 'b0b-pass', 'GET', '/fast/whoami', 2),
  })
  assert.equal(late.status, 401)
  assert.match(String(late.headers['www-authenticate']), /stale=true/)
  assert.equal(handled, before, 'the handler did not run for refused requests')
  const wrongPw = await srv.get('/fast/whoami', {
    authorization: answer(challenges[0]!, 'bob', 'x', 'GET', '/fast/whoami', 3),
  })
  assert.doesNotMatch(String(wrongPw.headers['www-authenticate']), /stale/, 'stale only when the password was right')
})

test('app-wide auth is checked before the body is read (401, not 413, for an oversized body)', async () => {
  const big = 'x'.repeat(6 * 1024 * 1024)
  const r = await srv.send('POST', '/upload', { 'content-type': 'application/octet-stream' }, big)
  assert.equal(r.status, 401)
})

test('one digest-authenticated request may call a digest route several times (XML-RPC multicall)', async () => {
  const challenge = ((await srv.get('/per-route/who')).headers['www-authenticate'] as string[])[0]!
  const call = (name: string) =>
    `<value><struct><member><name>methodName</name><value>${name}</value></member></struct></value>`
  const body =
    '<?xml version="1.0"?><methodCall><methodName>system.multicall</methodName><params><param><value><array><data>' +
    `${call('who')}${call('who')}</data></array></value></param></params></methodCall>`
  const headers = {
    'content-type': 'text/xml',
    authorization: answer(challenge, 'alice', 'wonder land', 'POST', '/per-route/', 1),
  }
  const r = await srv.send('POST', '/per-route/', headers, body)
  assert.equal(r.status, 200)
  assert.equal((r.text.match(/<string>alice<\/string>/g) ?? []).length, 2, r.text)
  assert.doesNotMatch(r.text, /faultCode/)
  // The same request again is a replay: both calls are refused.
  const replay = await srv.send('POST', '/per-route/', headers, body)
  assert.equal((replay.text.match(/<int>401<\/int>/g) ?? []).length, 2, replay.text)
})
