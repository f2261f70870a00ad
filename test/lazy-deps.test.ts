// An idle worker must not pay for libraries it has not used yet (engine README "Performance": idle RSS < 80 MB): undici
// (~20 MB), ws, xmlrpc, nunjucks, jsonwebtoken, busboy, iron-session, light-my-request, send, prom-client and
// @hono/node-server load on first use. Each check runs a real worker in a fresh `node` process (a test
// process has loaded everything already) and reads what it loaded from require.cache plus a log of
// resolved imports, so an eager `import` of any of them makes this fail.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))
const tmp = mkdtempSync(join(tmpdir(), 'skitai-lazy-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

const ENGINE_LAZY = ['undici', 'ws', 'xmlrpc', 'light-my-request', '@hono/node-server', 'send', 'prom-client']
const DB_LAZY = ['pg', 'ioredis', '@electric-sql/pglite', 'better-sqlite3']
const SADDLE_LAZY = [...ENGINE_LAZY, 'nunjucks', 'busboy', 'jsonwebtoken', 'iron-session', 'mime-types']

interface Step {
  step: string
  loaded?: string[]
  answers?: string[]
}

/** Runs a fixture child with the same TypeScript/source setup as the tests; its report lines by step. */
async function child(name: string, watch: string[]): Promise<Map<string, Step>> {
  const log = join(tmp, `${name}.log`)
  const { stdout } = await run(
    process.execPath,
    [
      '--conditions=skitai-source',
      '--import',
      here('../packages/engine/bin/register.mjs'),
      '--import',
      here('./fixtures/lazy-deps/record-imports.mjs'),
      here(`./fixtures/lazy-deps/${name}`),
    ],
    { env: { ...process.env, LAZY_DEPS_LOG: log, LAZY_DEPS_WATCH: JSON.stringify(watch) }, timeout: 60_000 },
  )
  const steps = new Map<string, Step>()
  for (const line of stdout.split('\n')) {
    if (line.startsWith('{')) {
      const s = JSON.parse(line) as Step
      steps.set(s.step, s)
    }
  }
  return steps
}

describe('heavy libraries load on first use', () => {
  test('a Saddle worker that has answered requests loaded none of them; was.get loads undici, a template nunjucks', async () => {
    const steps = await child('saddle-child.ts', SADDLE_LAZY)
    assert.deepEqual(steps.get('answers')?.answers, [
      'Hello World',
      '{"num":3,"a":"x"}',
      '{"from":"backend"}',
      '<p>Hello lazy</p>\n',
    ])
    assert.deepEqual(steps.get('idle')?.loaded, [], 'loaded by an idle Saddle worker')
    assert.deepEqual(steps.get('backend')?.loaded, ['undici'], 'loaded after one was.get')
    assert.deepEqual(steps.get('template')?.loaded, ['undici', 'nunjucks'], 'loaded after one template render')
  })

  test('an engine worker with a node listener and a static mount loaded none of them; was.get loads undici, a static file send', async () => {
    const steps = await child('engine-child.ts', ENGINE_LAZY)
    assert.deepEqual(steps.get('answers')?.answers, ['Hello World', '{"from":"backend"}', '<p>Hello {{ name }}</p>\n'])
    assert.deepEqual(steps.get('idle')?.loaded, [], 'loaded by an idle engine worker')
    assert.deepEqual(steps.get('backend')?.loaded, ['undici'], 'loaded after one was.get')
    assert.deepEqual(steps.get('static')?.loaded, ['undici', 'send'], 'loaded after one static file')
  })

  test('a worker with database aliases loads no driver until its first query, and only that one', async () => {
    const steps = await child('db-child.ts', DB_LAZY)
    // pg and Redis members that refuse connections answer status 2; the SQLite query succeeds (3).
    assert.deepEqual(steps.get('answers')?.answers, ['Hello World', '2', '2', '3'])
    assert.deepEqual(steps.get('idle')?.loaded, [], 'loaded by an idle worker with DB aliases')
    assert.deepEqual(steps.get('pg')?.loaded, ['pg'], 'loaded after one pg query')
    assert.deepEqual(steps.get('redis')?.loaded, ['pg', 'ioredis'], 'loaded after one Redis command')
    assert.deepEqual(steps.get('sqlite')?.loaded, ['pg', 'ioredis'], 'better-sqlite3 loads in the worker thread only')
    assert.deepEqual(steps.get('control')?.loaded, ['pg', 'ioredis', '@electric-sql/pglite'], 'the check sees PGlite')
  })

  test('the check sees eager imports: a process that imports them reports them all', async () => {
    const steps = await child('eager-child.mjs', SADDLE_LAZY)
    assert.deepEqual(steps.get('eager')?.loaded, SADDLE_LAZY)
  })
})
