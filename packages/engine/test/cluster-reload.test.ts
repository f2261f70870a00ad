// Replacing workers without dropping requests: SIGHUP under load, the --devel reloader (an edit answers
// with the new code; a syntax error keeps the old worker), the CPU critical point, SIGTERM under load.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { alive, Cluster, get } from './cluster-kit.js'

test('SIGHUP under load: every worker replaced, 0 failed requests, 0 refused connections', async () => {
  const c = await Cluster.start(['--workers', '2'], { env: { LOG_OFF: '1' } })
  try {
    const before = await c.pids(20)
    assert.equal(before.size, 2)
    const load = autocannon({ url: `http://127.0.0.1:${c.port}/`, connections: 10, duration: 5 })
    await new Promise((r) => setTimeout(r, 1000))
    const from = c.out.length
    c.child.kill('SIGHUP')
    await c.waitFor(/SIGHUP: 2 worker\(s\) replaced in (\d+) ms/, 20_000, from)
    const r = await load
    const after = await c.pids(20)
    console.log(
      `SIGHUP under load: ${r.requests.total} requests, ${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts; pids ${[...before]} → ${[...after]}`,
    )
    for (const p of before) assert.ok(!after.has(p) && !alive(p), `old worker ${p} gone`)
    assert.equal(after.size, 2)
    assert.equal(r.timeouts + r.non2xx, 0, c.serverLog.slice(-3000))
    // Most runs show 0 errors. The rest are resets of keep-alive connections the old worker closes as idle
    // while the client's next request is on its way: at most one per connection. The fix (responses during
    // shutdown carry `Connection: close`) is in the engine's drainAndClose, being done separately; once it
    // lands, this bound becomes 0.
    assert.ok(r.errors <= 10, `${r.errors} errors`)
  } finally {
    assert.equal((await c.stop()).code, 0)
  }
})

test('--devel: an edit answers within 2 s; a syntax error keeps the old worker serving', async () => {
  // inside the repository, so the script resolves @skitai/engine; the reloader watches only this directory
  const dir = mkdtempSync(join(fileURLToPath(new URL('./fixtures/', import.meta.url)), 'tmp-reloader-'))
  try {
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
    const appFile = join(dir, 'app.ts')
    const version = (v: string) =>
      `import type { IncomingMessage, ServerResponse } from 'node:http'\nexport const app = (_q: IncomingMessage, res: ServerResponse) => res.end(JSON.stringify({ pid: process.pid, X: '${v}' }))\n`
    writeFileSync(appFile, version('v1'))
    writeFileSync(
      join(dir, 'serve.ts'),
      `import skitai from '@skitai/engine'\nimport { app } from './app.ts'\nskitai.logOff('/')\nskitai.mount('/', app)\nskitai.run({ address: '127.0.0.1', name: 'reloader' })\n`,
    )
    const c = await Cluster.start(['--devel'], { script: join(dir, 'serve.ts'), cwd: process.cwd() })
    try {
      assert.equal((await c.get('/')).X, 'v1')
      let t0 = performance.now()
      writeFileSync(appFile, version('v2'))
      for (;;) {
        const a = await c.get('/', 1000).catch(() => null)
        if (a?.X === 'v2') break
        assert.ok(performance.now() - t0 < 5000, 'v2 within 5 s')
        await new Promise((r) => setTimeout(r, 20))
      }
      const ms = performance.now() - t0
      console.log(`reloader: new code answered ${ms.toFixed(0)} ms after the edit`)
      assert.ok(ms < 2000, `${ms.toFixed(0)} ms`)
      const from = c.out.length
      writeFileSync(appFile, `${version('v3')}export const broken = (\n`)
      await c.waitFor(
        /failed to start \(exit code 1; last error: SyntaxError[^\n]*\); worker #0 \(pid \d+\) keeps serving/,
        10_000,
        from,
      )
      assert.equal((await c.get('/')).X, 'v2', 'the old worker still answers')
      t0 = performance.now()
      writeFileSync(appFile, version('v4'))
      await c.waitFor(/reloader .*1 worker\(s\) replaced/, 10_000, c.out.length)
      assert.equal((await c.get('/')).X, 'v4')
    } finally {
      assert.equal((await c.stop()).code, 0)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('critical point: a worker above the CPU threshold is replaced gracefully', async () => {
  const c = await Cluster.start(['--workers', '2'], { env: { CRITICAL: '1', LOG_OFF: '1' } })
  try {
    const before = await c.pids(20)
    // a few spinning requests, on whichever worker gets them
    const spinning = Array.from({ length: 2 }, () => get(c.port, '/spin?ms=4000', 15_000).catch(() => null))
    const m = await c.waitFor(/worker #\d \(pid (\d+)\) above 25% CPU for 2 interval\(s\) of 0\.5 s/, 15_000)
    const hot = Number(m[1])
    await c.waitFor(
      new RegExp(`critical point: worker #\\d \\(pid \\d+\\) is listening; stopping worker #\\d \\(pid ${hot}\\)`),
      15_000,
    )
    const answers = await Promise.all(spinning)
    // the spinning request on the replaced worker still got its answer (graceful)
    assert.ok(
      answers.every((a) => a?.status === 200),
      JSON.stringify(answers),
    )
    for (let i = 0; i < 100 && alive(hot); i++) await new Promise((r) => setTimeout(r, 50))
    assert.ok(!alive(hot), `${hot} exited`)
    const after = await c.pids(20)
    assert.ok(before.has(hot) && !after.has(hot))
    assert.equal(after.size, 2)
  } finally {
    assert.equal((await c.stop()).code, 0)
  }
})

test('SIGTERM with workers under load: exit 0, every request sent before the signal answered', async () => {
  const c = await Cluster.start(['--workers', '2'], { env: { LOG_OFF: '1' } })
  let signalled = Number.POSITIVE_INFINITY
  let answered = 0
  let failedBefore = 0
  let failedAtSignal = 0
  let failedAfter = 0
  const loop = async (path: string) => {
    while (performance.now() < signalled + 100) {
      const sentAt = performance.now()
      if (sentAt > signalled) return
      try {
        await get(c.port, path, 15_000)
        answered++
      } catch (e) {
        if (sentAt < signalled) {
          // a connection made in the last moments before the signal can be reset when node:cluster closes the
          // listening handle (the master had accepted it but no worker took it any more): counted apart
          if (signalled - sentAt < 5) failedAtSignal++
          else failedBefore++
          console.log(`failed, sent ${(signalled - sentAt).toFixed(1)} ms before the signal: ${(e as Error).message}`)
        } else failedAfter++
      }
    }
  }
  const loops = [
    ...Array.from({ length: 6 }, () => loop('/')),
    ...Array.from({ length: 4 }, () => loop('/slow?ms=300')),
  ]
  await new Promise((r) => setTimeout(r, 1000))
  signalled = performance.now()
  const e = await c.stop('SIGTERM')
  await Promise.all(loops)
  console.log(
    `SIGTERM: ${answered} answered, ${failedBefore} failed of those sent before the signal, ${failedAtSignal} reset within 5 ms of it, ${failedAfter} after`,
  )
  assert.deepEqual(e, { code: 0, signal: null }, c.serverLog.slice(-2000))
  assert.equal(failedBefore, 0)
  assert.match(c.out, /SIGTERM received; stopping 2 worker\(s\)/)
  assert.match(c.out, /all workers stopped/)
})
