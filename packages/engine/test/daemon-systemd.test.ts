// `skitai serve.ts install|uninstall --prefix DIR`: the unit file's keys, `systemd-analyze verify` where it is
// installed, and its ExecStart run for real (it must serve in the foreground).
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { BIN, CONDITIONS, FIXTURE, FIXTURE_DIR, skitai } from './daemon-helpers.js'
import { freePort, startServer } from './process-helpers.js'

const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze'
const dirs: string[] = []
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'skitai-unit-'))
  dirs.push(d)
  return d
}

/** A unit file as { section: { key: [values] } }. */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {}
  let section: Record<string, string[]> | undefined
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const head = /^\[(\w+)\]$/.exec(line)
    if (head) {
      section = out[head[1] as string] = {}
      continue
    }
    const eq = line.indexOf('=')
    assert.ok(section && eq > 0, `a key=value line inside a section: ${line}`)
    ;(section[line.slice(0, eq)] ??= []).push(line.slice(eq + 1))
  }
  return out
}

/** ExecStart's words as systemd splits them (double quotes, backslash escapes, `$$` and `%%`). */
function execWords(value: string): string[] {
  const words: string[] = []
  for (const m of value.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    const word = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] as string)
    words.push(word.replace(/\$\$/g, '$').replace(/%%/g, '%'))
  }
  return words
}

describe('skitai serve.ts install | uninstall', () => {
  test('install --prefix writes a unit that systemd-analyze accepts, with the expected keys; uninstall removes it', async (t) => {
    const prefix = tempDir()
    const user = userInfo().username
    const port = await freePort()
    const greeting = 'hello $HOME 100% "quoted"'
    const installed = await skitai(FIXTURE, [
      'install',
      '--prefix',
      prefix,
      '--user',
      user,
      '--port',
      String(port),
      '--greeting',
      greeting,
    ])
    assert.equal(installed.code, 0, installed.stderr)
    const path = join(prefix, 'etc/systemd/system/daemon-fixture.service')
    assert.ok(installed.stdout.includes(`wrote ${path}`), installed.stdout)
    assert.match(installed.stdout, /systemctl daemon-reload && systemctl enable --now daemon-fixture/)

    const unit = parseUnit(readFileSync(path, 'utf8'))
    const service = unit.Service as Record<string, string[]>
    assert.deepEqual(
      {
        Type: service.Type,
        User: service.User,
        WorkingDirectory: service.WorkingDirectory,
        ExecReload: service.ExecReload,
        KillSignal: service.KillSignal,
        Restart: service.Restart,
        WantedBy: unit.Install?.WantedBy,
      },
      {
        Type: ['simple'],
        User: [user],
        WorkingDirectory: [FIXTURE_DIR.replace(/\/$/, '')],
        ExecReload: ['/bin/kill -HUP $MAINPID'],
        KillSignal: ['SIGTERM'],
        Restart: ['on-failure'],
        WantedBy: ['multi-user.target'],
      },
    )
    assert.ok(Number(service.TimeoutStopSec?.[0]) >= 20, 'longer than the engine’s own shutdown limit')
    // the server in the foreground: this node, the skitai command, the absolute script, the server's options
    const words = execWords(service.ExecStart?.[0] as string)
    assert.deepEqual(words, [
      process.execPath,
      ...CONDITIONS,
      BIN,
      FIXTURE,
      '--port',
      String(port),
      '--greeting',
      greeting,
    ])

    if (existsSync(SYSTEMD_ANALYZE)) {
      const verify = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(SYSTEMD_ANALYZE, ['verify', path], (err: any, _out, stderr) =>
          resolve({ code: err ? err.code : 0, stderr }),
        ),
      )
      // warnings about the host's own units may appear; none may name this unit
      const aboutUnit = verify.stderr.split('\n').filter((l) => l.includes('daemon-fixture'))
      assert.deepEqual(aboutUnit, [], verify.stderr)
      assert.equal(verify.code, 0, verify.stderr)
    } else t.diagnostic(`${SYSTEMD_ANALYZE} is not installed: verify skipped`)

    // ExecStart as systemd would run it, in WorkingDirectory: it serves in the foreground
    const server = await startServer(words[0] as string, words.slice(1), {
      cwd: service.WorkingDirectory?.[0] as string,
      port,
    })
    try {
      const res = await server.get('/x')
      assert.equal(res.status, 200)
      assert.equal(JSON.parse(res.text).greeting, greeting)
    } finally {
      await server.stop()
    }

    const removed = await skitai(FIXTURE, ['uninstall', '--prefix', prefix])
    assert.equal(removed.code, 0, removed.stderr)
    assert.equal(existsSync(path), false)
    const again = await skitai(FIXTURE, ['uninstall', '--prefix', prefix])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /there is no unit/)
  })

  test('--name names the unit; a name systemd refuses is an error', async () => {
    const prefix = tempDir()
    const named = await skitai(FIXTURE, ['install', '--prefix', prefix, '--name', 'my-api'])
    assert.equal(named.code, 0, named.stderr)
    const text = readFileSync(join(prefix, 'etc/systemd/system/my-api.service'), 'utf8')
    assert.match(text, /^User=.+$/m, 'a User= even without --user (the invoking user)')
    assert.equal((await skitai(FIXTURE, ['uninstall', '--prefix', prefix, '--name', 'my-api'])).code, 0)
    const bad = await skitai(FIXTURE, ['install', '--prefix', prefix, '--name', 'a/b'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /"a\/b" is not usable/)
  })

  test('a unit ExecStart that cannot run is what systemd-analyze catches (the check can fail)', async (t) => {
    if (!existsSync(SYSTEMD_ANALYZE)) return t.skip(`${SYSTEMD_ANALYZE} is not installed`)
    const prefix = tempDir()
    mkdirSync(join(prefix, 'x'))
    const path = join(prefix, 'x/broken.service')
    writeFileSync(path, '[Service]\nType=simple\nExecStart=/nonexistent/node a.js\n')
    const code = await new Promise<number>((resolve) =>
      spawn(SYSTEMD_ANALYZE, ['verify', path], { stdio: 'ignore' }).once('exit', (c) => resolve(c ?? -1)),
    )
    assert.notEqual(code, 0)
  })
})
