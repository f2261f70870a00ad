// TypeScript loaded by the skitai command, @skitai/engine/register and the test runner keeps handler
// parameter names even when they shadow a top-level name (esbuild/tsx would rename them: esbuild #2343),
// because Saddle fills arguments by those names.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const register = fileURLToPath(new URL('../bin/register.mjs', import.meta.url))

const SOURCE = `
const num: number = 1
const name = 'outer'
export const handler = (was: unknown, num: number, name = 'x') => [num, name]
class K { m(was: unknown, num: number) { return num } }
console.log(JSON.stringify([handler.toString(), new K().m.toString(), num, name]))
`

test('a handler parameter shadowing a top-level name keeps its name (node --import @skitai/engine/register)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skitai-ts-names-'))
  const file = join(dir, 'app.mts')
  writeFileSync(file, SOURCE)
  const { stdout } = await run(process.execPath, ['--import', register, file])
  const [arrow, method] = JSON.parse(stdout.trim()) as string[]
  assert.match(arrow as string, /^\(was, num, name = 'x'\) =>/)
  assert.doesNotMatch(arrow as string, /num2|name2/)
  assert.match(method as string, /^m\(was, num\)/)
})

const num = 7
test('the test runner loads tests with the same hook', () => {
  const f = (was: unknown, num: number) => num
  assert.match(f.toString(), /^\(was, num\) =>/, f.toString())
  assert.equal(f(null, num), 7)
})
