// `skitai serve.ts start|status|stop|restart`: real background servers, real signals, pid files and logs
// in temp directories; every server a test saw is killed at the end even when the test fails.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { Engine, parseArgs } from '@skitai/engine'
import { FIXTURE, FIXTURE_DIR, gone, killLeftovers, processesWith, readPid, skitai } from './daemon-helpers.js'
import { freePort } from './process-helpers.js'

const dirs: string[] = []
function tempDir(parent = tmpdir(), prefix = 'skitai-daemon-'): string {
  const d = mkdtempSync(join(parent, prefix))
  dirs.push(d)
  return d
}

after(() => {
  const killed = killLeftovers()
  for (const d of dirs) {
    for (const pid of processesWith(d)) {
      process.kill(pid, 'SIGKILL')
      killed.push(pid)
    }
    rmSync(d, { recursive: true, force: true })
  }
  assert.deepEqual(killed, [], 'servers left running by a failed test (killed now)')
})

async function get(port: number, path: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`)
  return { status: res.status, json: await res.json() }
}

async function waitUntil(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('skitai serve.ts start | status | stop | restart', () => {
  test('round trip with the default log dir and pid file: start, request, status, start twice, restart, stop, status', async () => {
    // a copy of the fixture in a directory of its own, so that the default logs/ lands there
    const dir = tempDir(FIXTURE_DIR, 'run-')
    const script = join(dir, 'serve.ts')
    copyFileSync(FIXTURE, script)
    const logs = join(dir, 'logs')
    const pidFile = join(logs, 'daemon-fixture.pid')
    const port = await freePort()

    const started = await skitai(script, ['start', '--port', String(port), '--greeting', 'hi there'])
    assert.equal(started.code, 0, started.stderr)
    const pid = readPid(pidFile)
    assert.match(started.stdout, new RegExp(`started \\(pid ${pid}\\) on http://127\\.0\\.0\\.1:${port}`))
    // the command returned: the server runs on without it, detached
    const answer = await get(port, '/hello')
    assert.deepEqual(answer.json, { pid, path: '/hello', greeting: 'hi there' })
    await waitUntil('the request.log line', () =>
      readFileSync(join(logs, 'request.log'), 'utf8').includes('GET /hello HTTP/1.1'),
    )
    assert.match(readFileSync(join(logs, 'server.log'), 'utf8'), new RegExp(`listening on .*\\(pid ${pid}\\)`))

    const status = await skitai(script, ['status'])
    assert.equal(status.code, 0, status.stderr)
    assert.equal(status.stdout.trim(), `daemon-fixture is running (pid ${pid}) on http://127.0.0.1:${port}`)

    const twice = await skitai(script, ['start', '--port', String(port)])
    assert.equal(twice.code, 1)
    assert.match(twice.stderr, new RegExp(`already running \\(pid ${pid}`))
    assert.equal(readPid(pidFile), pid, 'the refused start left the pid file alone')

    // no options: restarted with those of start (the port, the script's --greeting)
    const restarted = await skitai(script, ['restart'])
    assert.equal(restarted.code, 0, restarted.stderr)
    const pid2 = readPid(pidFile)
    assert.notEqual(pid2, pid)
    assert.ok(gone(pid), 'the old server exited')
    assert.deepEqual((await get(port, '/')).json, { pid: pid2, path: '/', greeting: 'hi there' })

    const stopped = await skitai(script, ['stop'])
    assert.equal(stopped.code, 0, stopped.stderr)
    assert.match(stopped.stdout, new RegExp(`stopped \\(pid ${pid2}\\)`))
    assert.ok(gone(pid2), 'stop returns once the server has exited')
    assert.equal(existsSync(pidFile), false, 'the pid file is removed')
    assert.equal(existsSync(`${pidFile}.json`), false)

    const after = await skitai(script, ['status'])
    assert.equal(after.code, 3)
    assert.match(after.stdout, /daemon-fixture is stopped/)
    const stopAgain = await skitai(script, ['stop'])
    assert.equal(stopAgain.code, 0, 'stopping a stopped server succeeds (LSB)')
    assert.match(stopAgain.stdout, /not running/)
  })

  test('stop waits for the graceful exit: a request in flight is answered first', async () => {
    const dir = tempDir()
    const port = await freePort()
    const opts = ['--logdir', dir, '--pidfile', join(dir, 'x.pid')]
    const started = await skitai(FIXTURE, ['start', '--port', String(port), ...opts])
    assert.equal(started.code, 0, started.stderr)
    const pid = readPid(join(dir, 'x.pid'))
    const slow = get(port, '/slow?ms=1500')
    await new Promise((r) => setTimeout(r, 300)) // the request is in flight
    const stopped = await skitai(FIXTURE, ['stop', ...opts])
    assert.equal(stopped.code, 0, stopped.stderr)
    assert.ok(gone(pid))
    const answer = await slow
    assert.equal(answer.status, 200)
    assert.equal(answer.json.path, '/slow')
  })

  test('stop --timeout reports a server that has not exited; --force kills it', async () => {
    const dir = tempDir()
    const port = await freePort()
    const opts = ['--logdir', dir]
    const pidFile = join(dir, 'daemon-fixture.pid')
    const startWithSlowRequest = async () => {
      assert.equal((await skitai(FIXTURE, ['start', '--port', String(port), ...opts])).code, 0)
      // a request that outlasts the timeout holds the graceful shutdown (up to its 10 s grace)
      const slow = fetch(`http://127.0.0.1:${port}/slow?ms=20000`).catch(() => null)
      await new Promise((r) => setTimeout(r, 300))
      return { pid: readPid(pidFile), slow }
    }
    const first = await startWithSlowRequest()
    const late = await skitai(FIXTURE, ['stop', '--timeout', '1', ...opts])
    assert.equal(late.code, 1)
    assert.match(late.stderr, new RegExp(`\\(pid ${first.pid}\\) has not exited 1 s after SIGTERM.*--force`))
    assert.equal(gone(first.pid), false)
    assert.ok(existsSync(pidFile), 'the pid file stays while the server runs')
    // a second SIGTERM ends a Node process at once (the engine handles the first only)
    assert.equal((await skitai(FIXTURE, ['stop', ...opts])).code, 0)
    assert.ok(gone(first.pid))
    await first.slow

    const second = await startWithSlowRequest()
    const forced = await skitai(FIXTURE, ['stop', '--timeout', '1', '--force', ...opts])
    assert.equal(forced.code, 0, forced.stderr)
    assert.match(forced.stdout, new RegExp(`killed \\(pid ${second.pid}\\)`))
    assert.ok(gone(second.pid))
    assert.equal(existsSync(pidFile), false)
    await second.slow
  })

  test('a stale pid file (its process is gone) is reported by status and replaced by start', async () => {
    const dir = tempDir()
    const pidFile = join(dir, 'daemon-fixture.pid')
    const dead = spawn(process.execPath, ['-e', ''])
    const deadPid = dead.pid as number
    await new Promise((r) => dead.once('exit', r))
    writeFileSync(pidFile, `${deadPid}\n`)
    const status = await skitai(FIXTURE, ['status', '--logdir', dir])
    assert.equal(status.code, 1, 'LSB: not running but the pid file exists')
    assert.match(status.stdout, new RegExp(`stale pid file .*pid ${deadPid} is not this server`))
    const port = await freePort()
    const started = await skitai(FIXTURE, ['start', '--port', String(port), '--logdir', dir])
    assert.equal(started.code, 0, started.stderr)
    const pid = readPid(pidFile)
    assert.notEqual(pid, deadPid)
    assert.equal((await get(port, '/')).json.pid, pid)
    // options given to restart replace those of start
    const port2 = await freePort()
    const restarted = await skitai(FIXTURE, ['restart', '--logdir', dir, '--port', String(port2)])
    assert.equal(restarted.code, 0, restarted.stderr)
    assert.match(restarted.stdout, new RegExp(`on http://127\\.0\\.0\\.1:${port2}`))
    const pid2 = readPid(pidFile)
    assert.ok(gone(pid))
    assert.equal((await get(port2, '/')).json.pid, pid2)
    assert.equal((await skitai(FIXTURE, ['stop', '--logdir', dir])).code, 0)
    assert.ok(gone(pid2))
  })

  test('two starts at once: one server starts, the other start is refused', async () => {
    const dir = tempDir()
    const port = await freePort()
    const args = ['start', '--port', String(port), '--logdir', dir]
    const both = await Promise.all([skitai(FIXTURE, args), skitai(FIXTURE, args)])
    assert.deepEqual(both.map((r) => r.code).sort(), [0, 1], both.map((r) => r.stdout + r.stderr).join('\n'))
    const loser = both.find((r) => r.code === 1) as { stderr: string }
    assert.match(loser.stderr, /already running/)
    const pid = readPid(join(dir, 'daemon-fixture.pid'))
    assert.equal((await get(port, '/')).json.pid, pid)
    assert.equal((await skitai(FIXTURE, ['stop', '--logdir', dir])).code, 0)
    assert.ok(gone(pid))
    assert.deepEqual(processesWith(dir), [])
  })

  test('a pid file naming a live process that is not this server (a reused pid) is stale too', async () => {
    const dir = tempDir()
    const other = spawn('sleep', ['30'])
    try {
      writeFileSync(join(dir, 'daemon-fixture.pid'), `${other.pid}\n`)
      const status = await skitai(FIXTURE, ['status', '--logdir', dir])
      assert.equal(status.code, 1, status.stdout)
      assert.match(status.stdout, /stale pid file/)
      const stop = await skitai(FIXTURE, ['stop', '--logdir', dir])
      assert.equal(stop.code, 0)
      assert.equal(other.exitCode, null, 'stop left the other process alone')
      assert.equal(other.signalCode, null)
    } finally {
      other.kill('SIGKILL')
    }
  })

  test("the script's own enableFileLogging directory holds the logs and the pid file of a background server", async () => {
    const dir = tempDir()
    const env = { FIXTURE_LOGDIR: dir }
    const port = await freePort()
    const started = await skitai(FIXTURE, ['start', '--port', String(port)], env)
    assert.equal(started.code, 0, started.stderr)
    const pid = readPid(join(dir, 'daemon-fixture.pid'))
    await get(port, '/own-dir')
    await waitUntil('the request.log line', () =>
      readFileSync(join(dir, 'request.log'), 'utf8').includes('GET /own-dir'),
    )
    assert.equal((await skitai(FIXTURE, ['status'], env)).code, 0)
    assert.equal((await skitai(FIXTURE, ['stop'], env)).code, 0)
    assert.ok(gone(pid))
  })

  test('start fails with the reason when the server cannot listen, and leaves no pid file or process', async () => {
    const dir = tempDir()
    const port = await freePort()
    const busy: Server = createServer()
    await new Promise<void>((r) => busy.listen(port, '127.0.0.1', r))
    try {
      const started = await skitai(FIXTURE, ['start', '--port', String(port), '--logdir', dir])
      assert.equal(started.code, 1)
      assert.match(started.stderr, new RegExp(`did not start: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`))
      assert.equal(existsSync(join(dir, 'daemon-fixture.pid')), false)
      assert.match(readFileSync(join(dir, 'server.log'), 'utf8'), /EADDRINUSE/)
      assert.deepEqual(processesWith(dir), [], 'the server that could not listen was stopped')
      const status = await skitai(FIXTURE, ['status', '--logdir', dir])
      assert.equal(status.code, 3)
    } finally {
      busy.close()
    }
  })

  test('--help lists the commands; command options elsewhere are errors', async () => {
    const help = await skitai(FIXTURE, ['--help'])
    for (const verb of ['start', 'stop', 'restart', 'status', 'install', 'uninstall'])
      assert.match(help.stdout, new RegExp(`^  ${verb} `, 'm'))
    for (const opt of ['--logdir DIR', '--pidfile FILE', '--force', '--user USER', '--prefix DIR'])
      assert.ok(help.stdout.includes(opt), opt)
    const wrong = await skitai(FIXTURE, ['stop', '--user', 'x'])
    assert.equal(wrong.code, 2)
    assert.match(wrong.stderr, /--user goes with install, not stop/)
    assert.deepEqual(parseArgs(['--force']).errors, ['--force goes with stop, restart'])
    const a = parseArgs(['--port', '80', 'start', '--pidfile=/x.pid', '--logdir', 'l', '--timeout', '5'])
    assert.deepEqual([a.command, a.daemon, a.errors], ['start', { pidfile: '/x.pid', logdir: 'l', timeout: '5' }, []])
    assert.deepEqual(a.passOn, ['--port', '80', '--logdir', 'l'], 'what the background server is given')
    // a script option cannot take a built-in's name: it would never be seen
    const e = new Engine()
    assert.throws(() => e.addOption(null, '--name=NAME'), /--name is a built-in option/)
    assert.throws(() => e.addOption('-p', '--pages'), /-p is --port, which is a built-in option/)
  })
})
