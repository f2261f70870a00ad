// `was` is fully typed in handlers and handler parameters are typed from the route rule: the fixtures in
// test/types/ (handler-types.ts, route-types.ts) and the examples must type-check, and the fixtures'
// `@ts-expect-error` lines prove that wrong uses are errors. Runs the real compiler over them.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const project = fileURLToPath(new URL('./tsconfig.json', import.meta.url))

test('handler, hook, decorator and route types; the examples type-check (tsc --noEmit)', async () => {
  const r = await run(process.execPath, [tsc, '-p', project, '--noEmit'], { timeout: 180_000 }).then(
    (out) => ({ code: 0, text: out.stdout + out.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? 1,
      text: `${e.stdout ?? ''}${e.stderr ?? ''}`,
    }),
  )
  assert.equal(r.code, 0, r.text)
})
