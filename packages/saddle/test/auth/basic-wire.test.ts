import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import { Saddle } from '@skitai/saddle'
import { type Served, serve } from './serve.js'

const run = promisify(execFile)
let srv: Served

before(async () => {
  const app = new Saddle(import.meta.url, { name: 'basic' })
  app.realm = 'admin area'
  app.users = { admin: 'pä:ss wörd' }
  app.route('/', (was) => `public ${was.request.user}`)
  app.route('/admin', { authenticate: 'basic' }, (was) => `hello ${was.request.user}`)
  srv = await serve({ '/': app })
})
after(() => srv.close())

async function curl(args: string[]): Promise<{ status: number; body: string; headers: string }> {
  const { stdout } = await run('curl', ['-s', '-D', '-', '-o', '-', '-w', '\n%{http_code}', ...args])
  const nl = stdout.lastIndexOf('\n')
  const split = stdout.indexOf('\r\n\r\n')
  return { status: Number(stdout.slice(nl + 1)), headers: stdout.slice(0, split), body: stdout.slice(split + 4, nl) }
}

test('basic auth with curl -u on a route that asks for it', async () => {
  const ok = await curl(['-u', 'admin:pä:ss wörd', `${srv.base}/admin`])
  assert.equal(ok.status, 200)
  assert.equal(ok.body, 'hello admin')
  const wrong = await curl(['-u', 'admin:password', `${srv.base}/admin`])
  assert.equal(wrong.status, 401)
  assert.match(wrong.headers, /\r\nwww-authenticate: Basic realm="admin area", charset="UTF-8"/i)
  const none = await curl([`${srv.base}/admin`])
  assert.equal(none.status, 401)
  const unknown = await curl(['-u', 'root:pä:ss wörd', `${srv.base}/admin`])
  assert.equal(unknown.status, 401)
  const garbage = await srv.get('/admin', { authorization: 'Basic %%%' })
  assert.equal(garbage.status, 401)
  assert.equal((await curl([`${srv.base}/`])).body, 'public null', 'other routes stay public')
  assert.ok(await srv.logLine(/GET \/admin .* 200 .* "admin" /))
})
