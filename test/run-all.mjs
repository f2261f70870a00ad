#!/usr/bin/env node
// Runs every test file of the monorepo with the Node test runner in one pass, so that the last
// line printed is a plain summary ("N passed, N failed") that CI can read (turbo prefixes its output).
// Test files are TypeScript, loaded through Skitai's own loader hooks (engine/bin/register.mjs, which keep names); the `skitai-source` condition makes `@skitai/*`
// imports resolve to each package's src/ so tests never run against a stale build.
import { spawn } from 'node:child_process'
import { readdirSync, statSync, readFileSync, mkdtempSync } from 'node:fs'
import { join, relative } from 'node:path'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const filters = process.argv.slice(2)

function collect(dir, out) {
  let names
  try {
    names = readdirSync(dir)
  } catch {
    return out
  }
  for (const name of names) {
    if (name === 'node_modules' || name === 'fixtures' || name.startsWith('.')) continue
    const full = join(dir, name)
    if (statSync(full).isDirectory()) collect(full, out)
    else if (/\.test\.(ts|mts|js|mjs)$/.test(name)) out.push(full)
  }
  return out
}

let files = [
  ...readdirSync(join(root, 'packages')).flatMap((p) => collect(join(root, 'packages', p, 'test'), [])),
  ...collect(join(root, 'test'), []),
  ...collect(join(root, 'bench', 'test'), []),
].sort()
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)))

const tapFile = join(mkdtempSync(join(tmpdir(), 'skitai-tap-')), 'report.tap')
const args = [
  '--conditions=skitai-source',
  '--import',
  './packages/engine/bin/register.mjs',
  '--test',
  `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 1}`,
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=tap',
  `--test-reporter-destination=${tapFile}`,
  ...files.map((f) => relative(root, f)),
]
console.log(`running ${files.length} test files`)
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, SKITAI_TEST: '1' } })
child.on('exit', (code, signal) => {
  let tap = ''
  try {
    tap = readFileSync(tapFile, 'utf8')
  } catch {}
  const count = (key) => {
    const m = tap.match(new RegExp(`^# ${key} (\\d+)$`, 'm'))
    return m ? Number(m[1]) : 0
  }
  const pass = count('pass')
  const fail = count('fail') + count('cancelled')
  if (!tap) console.log(`test runner ended without a report (code ${code}, signal ${signal})`)
  console.log(`${pass} passed, ${fail} failed`)
  process.exit(code === 0 && tap ? 0 : 1)
})
