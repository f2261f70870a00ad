// Smoke test of the benchmark suite (`npm run bench -- --quick`): every server starts, answers every
// scenario byte for byte like the others, takes a one-second autocannon round and holds idle keep-alive
// connections. It proves the suite works; it asserts no numbers.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const THIRD_PARTY = ['node-http', 'fastify', 'express', 'hono', 'koa']
const SKITAI = ['skitai-engine', 'saddle', 'saddle-undici']

function runQuick(jsonFile: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // --source: the Skitai servers load src/ through tsx, like every other test (no stale dist/).
    const child = spawn(process.execPath, ['bench/run.mjs', '--quick', '--source', '--json', jsonFile], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('exit', (code) => resolve({ code, output }))
  })
}

test('npm run bench -- --quick runs every scenario on every server with identical responses', {
  timeout: 240_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skitai-bench-'))
  try {
    const file = join(dir, 'quick.json')
    const committed = ['bench/RESULTS.md', 'bench/results/latest.json'].map((f) => readFileSync(join(ROOT, f), 'utf8'))
    const { code, output } = await runQuick(file)
    assert.equal(code, 0, `bench --quick failed:\n${output.slice(-3000)}`)
    assert.deepEqual(
      ['bench/RESULTS.md', 'bench/results/latest.json'].map((f) => readFileSync(join(ROOT, f), 'utf8')),
      committed,
      'a smoke run leaves the results of the last real run alone',
    )
    const results = JSON.parse(readFileSync(file, 'utf8'))

    assert.equal(results.mismatches, 0, 'responses differ between servers')
    // The Skitai packages have landed: their servers must run too (a skip would hide a broken package).
    for (const id of [...THIRD_PARTY, ...SKITAI]) {
      const s = results.servers[id]
      assert.equal(s?.status, 'ready', `${id} did not start: ${s?.status} ${s?.reason}`)
      assert.ok(s.idleRss > 0, `${id}: no RSS reading`)
    }

    const ids = results.scenarios.map((s: any) => s.id)
    assert.deepEqual(ids, ['hello', 'json', 'params', 'post', 'static', 'was-get', 'map', 'xmlrpc', 'idle'])
    for (const sc of results.scenarios) {
      if (sc.kind === 'idle') {
        for (const id of [...THIRD_PARTY, 'skitai-engine', 'saddle']) {
          const row = sc.rows.find((r: any) => r.server === id)
          assert.ok(row, `idle: no row for ${id}`)
          assert.equal(row.held, row.requested, `idle: ${id} dropped connections`)
          assert.ok(row.rssAfter > 0 && row.rssBefore > 0)
        }
        continue
      }
      assert.deepEqual(sc.skipped, {}, `scenario ${sc.id} skipped servers`)
      assert.ok(sc.rows.length > 0, `scenario ${sc.id} measured nothing`)
      for (const row of sc.rows) {
        assert.equal(row.check, null, `${sc.id} on ${row.server}: ${row.check}`)
        assert.ok(row.rounds.length > 0 && row.rps > 0, `${sc.id} on ${row.server}: no requests completed`)
        assert.equal(row.errors, 0, `${sc.id} on ${row.server}: socket errors`)
        assert.equal(row.non2xx, 0, `${sc.id} on ${row.server}: non-2xx answers`)
      }
      const measured = sc.rows.map((r: any) => r.server)
      assert.ok(measured.includes('node-http'), `${sc.id}: node:http missing`)
      if (sc.id !== 'was-get') assert.ok(measured.includes('saddle'), `${sc.id}: Saddle missing`)
      else
        assert.ok(
          measured.includes('saddle') && measured.includes('saddle-undici'),
          'was-get: a Saddle variant missing',
        )
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
