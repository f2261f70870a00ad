#!/usr/bin/env node
// Idle RSS of the same hello app as serve.ts and serve.js under the `skitai` command (packages from
// dist/): TypeScript with a cold compile cache (the compiler process runs, then exits), with a warm one,
// and JavaScript. `node bench/ts-idle-rss.mjs [--write]`; --write puts the table into bench/RESULTS.md
// between its "ts-idle-rss" markers (npm run bench keeps that section when it rewrites the file).
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = join(ROOT, 'packages/engine/bin/skitai.js')
const RUNS = 3
const START = '<!-- ts-idle-rss -->'
const END = '<!-- /ts-idle-rss -->'

const APP = `import skitai from '@skitai/engine'
import { Saddle } from '@skitai/saddle'

const app = new Saddle(import.meta.url, { name: 'hello' })
app.route('/', (was) => 'Hello World')
app.route('/hello/<int:num>', (was, num: number = 8) => \`num is \${num}\`)
skitai.mount('/', app)
skitai.run({ address: '127.0.0.1', port: Number(process.env.PORT) })
`

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const listening = (port) =>
  new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => resolve(s.destroy() || true))
    s.once('error', () => resolve(false))
  })

async function idleRss(dir, file, port, env) {
  const child = spawn(process.execPath, [BIN, file], { cwd: dir, env: { ...env, PORT: String(port) }, stdio: 'ignore' })
  try {
    while (!(await listening(port))) await sleep(50)
    await fetch(`http://127.0.0.1:${port}/hello/3`).then((r) => r.text())
    await sleep(3000) // idle: the compiler process exits after 0.5 s without work
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
    return Number(status.match(/^VmRSS:\s+(\d+)/m)[1]) / 1024
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const tmp = mkdtempSync(join(tmpdir(), 'skitai-ts-rss-'))
try {
  const dir = join(tmp, 'app')
  mkdirSync(dir)
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
  writeFileSync(join(dir, 'serve.ts'), APP)
  writeFileSync(join(dir, 'serve.js'), APP.replace(': number = 8', ' = 8'))
  const rows = { 'serve.js': [], 'serve.ts, cold cache': [], 'serve.ts, warm cache': [] }
  let port = 47100
  for (let i = 0; i < RUNS; i++) {
    const cache = join(tmp, `cache-${i}`)
    const env = { ...process.env, SKITAI_TS_CACHE: cache }
    rows['serve.js'].push(await idleRss(dir, 'serve.js', port++, env))
    rows['serve.ts, cold cache'].push(await idleRss(dir, 'serve.ts', port++, env))
    rows['serve.ts, warm cache'].push(await idleRss(dir, 'serve.ts', port++, env))
  }
  const js = median(rows['serve.js'])
  const lines = [
    START,
    '## TypeScript loading',
    '',
    `Idle RSS of the same hello app under \`skitai\` (3 s after one request), median of ${RUNS} fresh processes each, written by \`node bench/ts-idle-rss.mjs --write\` on ${new Date().toISOString()} (Node ${process.version}).`,
    '',
    '| script | RSS MB (median) | runs | − serve.js |',
    '|---|---|---|---|',
    ...Object.entries(rows).map(
      ([k, v]) =>
        `| ${k} | ${median(v).toFixed(1)} | ${v.map((x) => x.toFixed(1)).join(' / ')} | ${(median(v) - js).toFixed(1)} |`,
    ),
    '',
    'The TypeScript compiler never loads into the server (it runs in a child process that exits when idle); the difference is the loader hooks thread Node 20 runs for `module.register()` hooks (its own V8 isolate). Before this loader (tsx + TypeScript in the server process) issue 15 reported 204 MB for serve.ts against 59 MB for serve.js.',
    END,
  ]
  const table = lines.join('\n')
  console.log(table)
  if (process.argv.includes('--write')) {
    const file = join(ROOT, 'bench/RESULTS.md')
    const text = readFileSync(file, 'utf8')
    const at = text.indexOf(START)
    const kept = at < 0 ? text.trimEnd() : (text.slice(0, at) + text.slice(text.indexOf(END) + END.length)).trimEnd()
    writeFileSync(file, `${kept}\n\n${table}\n`)
  }
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
