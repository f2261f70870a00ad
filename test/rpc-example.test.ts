/**
 * examples/rpc/serve.ts launched as a real server process: the same `add` handler from a browser
 * (Chromium submitting the page's GET form), curl (a form POST) and Python's xmlrpc.client.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type TestClient, testClient } from '@skitai/engine'
import { python } from './rpc-fixture.js'

const run = promisify(execFile)
const SCRIPT = fileURLToPath(new URL('../examples/rpc/serve.ts', import.meta.url))
const CHROMIUM = '/usr/bin/chromium'

describe('examples/rpc: one handler, three kinds of client', () => {
  let cli: TestClient
  let url = ''
  before(async () => {
    cli = testClient(SCRIPT)
    await cli.ready()
    url = `http://127.0.0.1:${cli.port}`
  })
  after(() => cli.close())

  test('GET with a query string (and the list: prefix)', async () => {
    const r = await cli.get('/add?num1=4&num2=10')
    assert.equal(r.status, 200)
    assert.equal(r.text, '14')
    assert.deepEqual((await cli.get('/math/stats?list:numbers=1,2,3')).json(), { count: 3, sum: 6, mean: 2 })
  })

  test('curl: a form POST', async () => {
    const { stdout } = await run('curl', ['-s', '-d', 'num1=4', '-d', 'num2=10', `${url}/add`])
    assert.equal(stdout, '14')
  })

  test("Python's xmlrpc.client at /rpc2 (the app is mounted at /)", async () => {
    const out = await python(
      url,
      `p = x.ServerProxy(URL + '/rpc2')
print(json.dumps(p.add(4, 10)))
print(json.dumps(p.math.stats([1, 2, 3, 4])))
print(json.dumps(p.system.methodHelp('add')))
try:
    p.secret()
except x.Fault as e:
    print(json.dumps(e.faultCode))
print(json.dumps(x.ServerProxy(URL.replace('http://', 'http://admin:change-me@') + '/rpc2').secret()))`,
    )
    assert.deepEqual(out, [
      14,
      { count: 4, sum: 10, mean: 2.5 },
      'add(num1, num2): the sum of two numbers.',
      401,
      'hello admin',
    ])
  })

  test('the launched test client: cli.xmlrpc and cli.jsonrpc', async () => {
    assert.equal(await cli.xmlrpc('/rpc2').add(4, 10), 14)
    assert.deepEqual(await cli.jsonrpc('/').math.stats([2, 4]), { count: 2, sum: 6, mean: 3 })
  })

  test('a browser submitting the GET form', { skip: !existsSync(CHROMIUM) && 'no Chromium here' }, async () => {
    const { chromium } = await import('playwright-core')
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    try {
      const page = await browser.newPage()
      await page.goto(`${url}/`)
      await page.fill('input[name=num1]', '40')
      await page.fill('input[name=num2]', '2')
      await Promise.all([page.waitForURL(/\/add\?/), page.click('button[type=submit]')])
      assert.match(page.url(), /\/add\?num1=40&num2=2$/)
      assert.equal((await page.textContent('body'))?.trim(), '42')
    } finally {
      await browser.close()
    }
  })
})
