import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Engine, formatHelp, parseArgs } from '@skitai/engine'
import { Pool } from 'undici'
import { sleep } from './helpers.js'

const run = promisify(execFile)
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))
const BIN = fileURLToPath(new URL('../bin/skitai.js', import.meta.url))
const conditions = process.execArgv.filter((a) => a.startsWith('--conditions'))

describe('skitai command', () => {
  test('--help lists the built-in options and the script’s own, and exits 0 without listening', async () => {
    const { stdout } = await run(process.execPath, [...conditions, BIN, `${fixtures}serve/serve.ts`, '--help'])
    for (const opt of ['--port PORT', '--address ADDRESS', '--devel', '--help', '-q, --qtran', '--greeting TEXT']) {
      assert.ok(stdout.includes(opt), `${opt} in:\n${stdout}`)
    }
    assert.match(stdout, /a custom option with a value/)
  })

  test('skitai --help without a script lists the built-in options', async () => {
    const { stdout } = await run(process.execPath, [...conditions, BIN, '--help'])
    assert.match(stdout, /--port PORT/)
    assert.match(stdout, /--devel/)
  })

  test('a missing script is a clear error', async () => {
    await assert.rejects(run(process.execPath, [...conditions, BIN, 'nope/serve.ts']), /nope\/serve\.ts does not exist/)
  })

  test('--port, --address and --devel override run()', async () => {
    const cli = new Engine({ root: fixtures }).testClient('serve/serve.ts', {
      args: ['--address', '127.0.0.1', '--devel'],
    })
    try {
      const info = (await cli.get('/')).json()
      assert.equal(info.debug, true)
      assert.notEqual(cli.port, 1, 'run({ port: 1 }) was overridden')
    } finally {
      await cli.close()
    }
  })

  test('parseArgs: values, flags, =values, errors', () => {
    const custom = [{ short: '-q', long: '--qtran', help: '', takesValue: false, valueName: '' }]
    const a = parseArgs(['--port=8080', '-a', '0.0.0.0', '-d', '-q'], custom)
    assert.deepEqual([a.port, a.address, a.devel, a.options, a.errors], [8080, '0.0.0.0', true, { qtran: true }, []])
    const b = parseArgs(['--port', 'x', '--what', 'stray'])
    assert.deepEqual(b.errors, [
      '--port must be a port number, got x',
      'unknown option: --what',
      'unexpected argument: stray',
    ])
    assert.match(formatHelp(custom), /-q, --qtran/)
  })
})

describe('graceful shutdown', () => {
  test('SIGTERM: a request in flight completes with 200, new connections are refused, the process exits 0', async () => {
    const cli = new Engine({ root: fixtures }).testClient('serve/serve.ts')
    await cli.ready()
    const port = cli.port as number
    const pool = new Pool(`http://127.0.0.1:${port}`)
    try {
      const inFlight = pool.request({ method: 'GET', path: '/slow?ms=1500' })
      for (let i = 0; i < 200 && !cli.output().includes('slow request started'); i++) await sleep(25)
      assert.match(cli.output(), /slow request started/)
      cli.child?.kill('SIGTERM')
      await sleep(200)
      // the listening socket is closed: a new connection is refused
      const fresh = new Pool(`http://127.0.0.1:${port}`)
      await assert.rejects(fresh.request({ method: 'GET', path: '/' }), /ECONNREFUSED/)
      await fresh.close()
      const r = await inFlight
      assert.equal(r.statusCode, 200)
      assert.equal((await r.body.json()).path, '/slow')
      const exit = await new Promise<number | null>((resolve) => {
        if (cli.child?.exitCode !== null) resolve(cli.child?.exitCode ?? null)
        else cli.child.once('exit', (code) => resolve(code))
      })
      assert.equal(exit, 0)
      assert.match(cli.output(), /SIGTERM received, finishing 1 request\(s\) in flight/)
    } finally {
      await pool.close()
      await cli.close()
    }
  })

  test('close() on an engine: in-flight requests finish, idle keep-alive connections are closed, apps unmount', async () => {
    const engine = new Engine()
    engine.enableAccessLog(false)
    engine.mount('/', async (_req: any, res: any) => {
      await sleep(400)
      res.end('finished')
    })
    const port = await engine.listen({ port: 0 })
    const pool = new Pool(`http://127.0.0.1:${port}`)
    const idle = new Pool(`http://127.0.0.1:${port}`)
    const warm = await idle.request({ method: 'GET', path: '/' })
    await warm.body.text()
    const pending = pool.request({ method: 'GET', path: '/' })
    await sleep(100)
    const t0 = Date.now()
    await engine.close()
    assert.ok(Date.now() - t0 < 5000, 'an idle keep-alive connection did not hold the shutdown')
    const r = await pending
    assert.equal(await r.body.text(), 'finished')
    await pool.close()
    await idle.close()
  })
})

test('run(): an exception thrown outside the request promise (an Express setTimeout) is logged with the txn id, answered 500, and the process keeps serving', async () => {
  const cli = new Engine({ root: fixtures }).testClient('serve/serve.ts', { args: ['--address', '127.0.0.1'] })
  try {
    const r = await cli.get('/ex/throw-later', {
      headers: { 'x-gtxn-id': 'GTID-uncaught-1', accept: 'application/json' },
    })
    assert.equal(r.status, 500)
    assert.equal(r.json().message, 'Internal Server Error')
    assert.doesNotMatch(r.text, /thrown in a timer/, 'no internals without debug')
    const rejected = await cli.get('/ex/reject-later', { headers: { 'x-gtxn-id': 'GTID-uncaught-2' } })
    assert.equal(rejected.status, 200)
    assert.equal(rejected.text, 'answered anyway')
    // the head is out: the response is cut short, the connection closed, and the next request still served
    await assert.rejects(cli.get('/ex/throw-after-head'))
    const ok = await cli.get('/')
    assert.equal(ok.status, 200)
    for (let i = 0; i < 100 && !/thrown mid-body/.test(cli.output()); i++) await sleep(20)
    const out = cli.output()
    assert.match(out, /\[error\] GTID-uncaught-1\/1000 GET \/ex\/throw-later: Error: thrown in a timer\n\s+at /)
    assert.match(out, /\[error\] GTID-uncaught-2\/1000 unhandled rejection: Error: nobody awaits this/)
    assert.match(out, /thrown mid-body/)
  } finally {
    await cli.close()
  }
})
