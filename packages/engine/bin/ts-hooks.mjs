// Module hooks of the skitai loader (`skitai serve.ts`, `node --import @skitai/engine/register`): they
// run TypeScript and JavaScript serve scripts whatever the nearest package.json says ("commonjs", "module"
// or none), the way tsx does, in a light process:
// - resolve: './app.js' → app.ts (or .tsx, .mts), extensionless and directory imports → .ts/index.ts.
// - load: .ts/.mts/.tsx are ES modules always; a .js outside node_modules that Node would load as
//   CommonJS but that has ES module syntax (import/export/import.meta/top-level await) loads as an ES
//   module, the check Node 22 does by itself (module syntax detection).
// - compile: TypeScript's transpileModule, which strips types, lowers TC39 decorators exactly like tsc
//   and never renames a parameter (esbuild, inside tsx, renames one that shadows an outer name:
//   esbuild #2343 — and Saddle fills handler arguments by parameter name). Why not in this process:
//   the compiler is ~9 MB of JavaScript that stays in memory once loaded (a hello app idled at ~204 MB
//   with tsx + TypeScript loaded, against 59 MB as JavaScript). So compiling happens in a child process
//   (ts-compiler.mjs) that exits after 0.5 s without work, and results go to an on-disk cache keyed by
//   content, so a restart with unchanged files starts no compiler at all. Type-stripping tools that run
//   in-process (amaro, sucrase) were not used: neither lowers TC39 decorators, which Node 20 cannot run.
//   Measured idle RSS: see bench/RESULTS.md ("TypeScript loading").
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Script } from 'node:vm'

const TS_FILE = /\.(ts|mts|tsx)$/
const DECLARATION = /\.d\.(m|c)?ts$/
const JS_FILE = /\.(js|jsx)$/
const PATH_LIKE = /^(\.{1,2}\/|\/|file:)/
// the compiler process exits after this long without work (SKITAI_TS_IDLE_MS: for the loader's tests)
const IDLE_MS = Number(process.env.SKITAI_TS_IDLE_MS) > 0 ? Number(process.env.SKITAI_TS_IDLE_MS) : 500

// ---- resolve -----------------------------------------------------------------------------------------

/** Other names a relative import may mean, in the order tsx tries them. */
function alternatives(specifier) {
  if (/\.jsx?$/.test(specifier)) {
    const base = specifier.replace(/\.jsx?$/, '')
    return [`${base}.ts`, `${base}.tsx`]
  }
  if (specifier.endsWith('.mjs')) return [specifier.replace(/\.mjs$/, '.mts')]
  if (/\.[a-z]+$/i.test(specifier.split('/').at(-1) ?? '')) return []
  const dir = specifier.replace(/\/$/, '')
  return [`${dir}.ts`, `${dir}.tsx`, `${dir}.js`, `${dir}/index.ts`, `${dir}/index.js`]
}

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context)
  } catch (error) {
    const code = error?.code
    if (!PATH_LIKE.test(specifier) || (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_UNSUPPORTED_DIR_IMPORT')) {
      throw error
    }
    for (const alt of alternatives(specifier)) {
      try {
        return await next(alt, context)
      } catch {}
    }
    throw error
  }
}

// ---- load --------------------------------------------------------------------------------------------

/** Node 22's module syntax detection: only these errors mean "this is ESM", anything else stays CJS. */
function hasModuleSyntax(source, filename) {
  try {
    new Script(source, { filename })
    return false
  } catch (e) {
    return /Cannot use import statement outside a module|Unexpected token 'export'|Cannot use 'import\.meta' outside a module|await is only valid in async functions/.test(
      String(e?.message),
    )
  }
}

export async function load(url, context, next) {
  if (!url.startsWith('file:')) return next(url, context)
  const path = fileURLToPath(url)
  if (TS_FILE.test(path) && !DECLARATION.test(path)) {
    const source = await readFile(path, 'utf8')
    return { format: 'module', source: await compile(path, source), shortCircuit: true }
  }
  const loaded = await next(url, context)
  if (loaded.format === 'commonjs' && JS_FILE.test(path) && !path.includes('/node_modules/')) {
    const source = await readFile(path, 'utf8')
    if (hasModuleSyntax(source, path)) return { format: 'module', source, shortCircuit: true }
  }
  return loaded
}

// ---- compile: on-disk cache, then the compiler process ---------------------------------------------

const require = createRequire(import.meta.url)
const tsVersion = JSON.parse(readFileSync(require.resolve('typescript/package.json'), 'utf8')).version
const compilerScript = fileURLToPath(new URL('./ts-compiler.mjs', import.meta.url))
const compilerHash = createHash('sha256').update(readFileSync(compilerScript)).digest('hex').slice(0, 16)
const cacheDir =
  process.env.SKITAI_TS_CACHE === 'off'
    ? null
    : (process.env.SKITAI_TS_CACHE ?? join(tmpdir(), `skitai-ts-cache-${safeUser()}`))
if (cacheDir !== null) mkdirSync(cacheDir, { recursive: true, mode: 0o700 })

function safeUser() {
  try {
    return String(userInfo().uid)
  } catch {
    return 'user'
  }
}

async function compile(path, source) {
  if (cacheDir === null) return compileInChild(path, source)
  const key = createHash('sha256').update(`${tsVersion}\0${compilerHash}\0${path}\0${source}`).digest('hex')
  const file = join(cacheDir, `${key}.js`)
  try {
    return await readFile(file, 'utf8')
  } catch {}
  const code = await compileInChild(path, source)
  // write then rename: a concurrent reader sees the whole file or none
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`
  try {
    await writeFile(tmp, code, { mode: 0o600 })
    await rename(tmp, file)
  } catch {}
  return code
}

/**
 * The compiler process now in use, with the compiles sent to it. Each process has its own pending map:
 * one that idled out may still be exiting while a new one already takes compiles, and its exit must fail
 * only the compiles it was given.
 */
let compiler = null
let nextId = 0
let idleTimer = null

function startCompiler() {
  const env = { ...process.env }
  delete env.NODE_OPTIONS // never load these hooks into the compiler itself
  const child = spawn(process.execPath, [compilerScript], { stdio: ['pipe', 'pipe', 'inherit'], env })
  const self = { child, pending: new Map() }
  let buffered = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk) => {
    buffered += chunk
    let nl = buffered.indexOf('\n')
    while (nl >= 0) {
      const reply = JSON.parse(buffered.slice(0, nl))
      buffered = buffered.slice(nl + 1)
      nl = buffered.indexOf('\n')
      const job = self.pending.get(reply.id)
      if (job === undefined) continue
      self.pending.delete(reply.id)
      if (reply.error !== undefined) job.reject(new SyntaxError(`TypeScript: ${reply.error}`))
      else job.resolve(reply.code)
    }
    if (self.pending.size === 0 && compiler === self) scheduleIdle()
  })
  child.on('exit', (code, signal) => {
    if (compiler === self) compiler = null
    for (const [id, job] of self.pending) {
      self.pending.delete(id)
      job.reject(new Error(`the TypeScript compiler process ended (code ${code}, signal ${signal})`))
    }
  })
  // not unref'd: while a compile is pending, this child is what keeps the process waiting for it
  return self
}

function scheduleIdle() {
  clearTimeout(idleTimer)
  idleTimer = setTimeout(() => {
    if (compiler !== null && compiler.pending.size === 0) {
      compiler.child.stdin.end()
      compiler = null
    }
  }, IDLE_MS)
  idleTimer.unref()
}

function compileInChild(path, source) {
  clearTimeout(idleTimer)
  compiler ??= startCompiler()
  const c = compiler
  const id = nextId++
  return new Promise((resolve, reject) => {
    c.pending.set(id, { resolve, reject })
    c.child.stdin.write(`${JSON.stringify({ id, path, source })}\n`)
  })
}
