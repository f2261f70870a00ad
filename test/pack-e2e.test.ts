// The packages outside the repository (README "Use it in your own project"): `npm pack` the three
// packages, install the tarballs into three fresh projects — made with `npm init -y` ("type":
// "commonjs"), with no package.json at all, and with "type": "module" — and in each, run a serve.ts with
// ESM imports and a TC39-decorator class app by `npx skitai serve.ts`, answer requests over a real
// socket, and type-check it with `npx tsc --noEmit` (and prove the types are real: a second file with
// wrong types must fail exactly on its wrong lines). Also checks what the tarballs hold. Skipped only
// when npm cannot reach its registry.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { request } from 'undici'
import { freePort, startServer } from '../packages/engine/test/process-helpers.ts'
import { BAD_TS, badLines, SERVE_TS, TSCONFIG } from './pack-e2e-files.ts'

const exec = promisify(execFile)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PACKAGES = ['was', 'engine', 'saddle'] as const
const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))

// npm run by `npm test` sets npm_* variables (prefix, scripts' config) that must not leak into the
// projects' own npm commands; the user's npm cache stays shared by all of them.
const env: NodeJS.ProcessEnv = {}
for (const [k, v] of Object.entries(process.env)) {
  if (!/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'NODE_OPTIONS') env[k] = v
}

async function registryReachable(): Promise<boolean> {
  try {
    await exec('npm', ['ping'], { env, timeout: 20_000 })
    return true
  } catch {
    return false
  }
}
const skip = (await registryReachable()) ? false : 'npm cannot reach its registry'

const tmp = mkdtempSync(join(tmpdir(), 'skitai-pack-'))
env.SKITAI_TS_CACHE = join(tmp, 'ts-cache')
after(() => rmSync(tmp, { recursive: true, force: true }))

function npm(args: string[], cwd: string, timeout = 240_000) {
  return exec('npm', args, { cwd, env, timeout, maxBuffer: 32 * 1024 * 1024 })
}

/** Runs `npx tsc` in `cwd`; resolves with its exit code and output instead of throwing. */
async function tsc(cwd: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await exec('npx', ['--no-install', 'tsc', ...args], { cwd, env, timeout: 120_000 })
    return { code: 0, out: r.stdout + r.stderr }
  } catch (e: any) {
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }
  }
}

interface Packed {
  name: string
  tarball: string
  files: string[]
  manifest: any
}

const packed = new Map<string, Packed>()

describe('packages installed from npm pack tarballs', { skip }, () => {
  before(async () => {
    const dest = join(tmp, 'tarballs')
    mkdirSync(dest)
    await Promise.all(
      PACKAGES.map(async (p) => {
        const dir = join(ROOT, 'packages', p)
        assert.ok(existsSync(join(dir, 'dist', 'index.js')), `packages/${p} is not built: run npm run build`)
        const { stdout } = await npm(['pack', '--json', '--pack-destination', dest], dir)
        const [info] = JSON.parse(stdout)
        const tarball = join(dest, info.filename)
        const { stdout: manifest } = await exec('tar', ['-xzOf', tarball, 'package/package.json'])
        packed.set(p, {
          name: info.name,
          tarball,
          files: info.files.map((f: { path: string }) => f.path),
          manifest: JSON.parse(manifest),
        })
      }),
    )
  })

  test('the tarballs: files, exports with types, bin, registry dependencies, stripped typings', async () => {
    const versions = new Map([...packed.values()].map((p) => [p.name, p.manifest.version]))
    for (const [p, { name, files, manifest, tarball }] of packed) {
      assert.equal(name, `@skitai/${p}`)
      assert.ok(manifest.files.includes('dist'), `${name}: files lists dist`)
      assert.ok(!manifest.private, `${name} is not private`)
      assert.equal(manifest.type, 'module')
      assert.equal(manifest.engines.node, rootPkg.engines.node, `${name}: same engines as the repository`)
      // nothing the build leaves that a user does not need: build info, tests, maps of tests
      assert.deepEqual(
        files.filter((f) => /tsbuildinfo|(^|\/)test\/|\.test\./.test(f)),
        [],
        `${name} ships no build info or tests`,
      )
      const dot = manifest.exports['.']
      for (const key of ['types', 'default'] as const) {
        const target = String(dot[key]).replace(/^\.\//, '')
        assert.ok(files.includes(target), `${name}: exports['.'].${key} = ${dot[key]} is in the tarball`)
      }
      assert.ok(files.includes(String(manifest.types).replace(/^\.\//, '')), `${name}: types is in the tarball`)
      // every other export condition points into the tarball too (no path that exists only in the repo)
      for (const [sub, value] of Object.entries(manifest.exports)) {
        const targets = typeof value === 'string' ? [value] : Object.values(value as object)
        for (const t of targets) {
          assert.ok(files.includes(String(t).replace(/^\.\//, '')), `${name}: exports['${sub}'] → ${t} is packed`)
        }
      }
      for (const [dep, spec] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
        assert.doesNotMatch(String(spec), /^(file|link|workspace|git|github|https?):|^\.{0,2}\//, `${name}: ${dep}`)
        assert.match(String(spec), /^[~^]?\d+\.\d+\.\d+/, `${name}: ${dep}@${spec} is a registry version range`)
        if (versions.has(dep)) assert.equal(spec, versions.get(dep), `${name}: ${dep} is the sibling's version`)
      }
      // stripInternal: no declaration marked @internal reaches the published typings
      const typings = files.filter((f) => f.endsWith('.d.ts')).map((f) => `package/${f}`)
      const { stdout } = await exec('tar', ['-xzOf', tarball, ...typings], {
        maxBuffer: 64 * 1024 * 1024,
      })
      assert.doesNotMatch(stdout, /@internal/, `${name}: typings built with stripInternal`)
    }
    const bin = packed.get('engine')!.manifest.bin
    assert.deepEqual(Object.keys(bin), ['skitai'])
    assert.ok(packed.get('engine')!.files.includes(bin.skitai.replace(/^\.\//, '')), 'the skitai bin is packed')
    assert.ok(packed.get('engine')!.files.includes('bin/register.mjs'))
  })

  const kinds = [
    { kind: 'npm init -y ("type": "commonjs")', dir: 'with-npm-init' },
    { kind: 'no package.json', dir: 'no-package-json' },
    { kind: '"type": "module"', dir: 'type-module' },
  ] as const

  // The three installs run at once (one npm cache). --ignore-scripts: our packages have no install
  // scripts; it skips better-sqlite3's native build, which compiles SQLite from source (~50 s of CPU per
  // project) where its prebuilt binaries cannot be downloaded. The SQLite driver is tested in the repo.
  let installs: Promise<Map<string, string>> | null = null
  function installAll(): Promise<Map<string, string>> {
    installs ??= (async () => {
      const outputs = new Map<string, string>()
      await Promise.all(
        kinds.map(async ({ dir }) => {
          const cwd = join(tmp, dir)
          mkdirSync(cwd)
          if (dir === 'with-npm-init') await npm(['init', '-y'], cwd)
          if (dir === 'type-module') writeFileSync(join(cwd, 'package.json'), '{ "type": "module" }\n')
          // without a package.json npm would look upwards for a project; a node_modules folder keeps it here
          if (dir === 'no-package-json') mkdirSync(join(cwd, 'node_modules'))
          const tarballs = PACKAGES.map((p) => packed.get(p)!.tarball)
          const types = [`typescript@${rootPkg.devDependencies.typescript}`, '@types/node@20']
          const r = await npm(
            ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', ...tarballs, ...types],
            cwd,
          )
          if (dir === 'no-package-json') {
            // npm install wrote them; the project is to have none (the case that failed before)
            rmSync(join(cwd, 'package.json'))
            rmSync(join(cwd, 'package-lock.json'))
          }
          writeFileSync(join(cwd, 'serve.ts'), SERVE_TS)
          writeFileSync(join(cwd, 'tsconfig.json'), TSCONFIG)
          mkdirSync(join(cwd, 'wrong'))
          writeFileSync(join(cwd, 'wrong', 'bad.ts'), BAD_TS)
          writeFileSync(
            join(cwd, 'wrong', 'tsconfig.json'),
            JSON.stringify({ extends: '../tsconfig.json', include: ['bad.ts'] }),
          )
          outputs.set(dir, r.stdout + r.stderr)
        }),
      )
      return outputs
    })()
    return installs
  }

  for (const { kind, dir } of kinds) {
    test(`${kind}: installs without EBADENGINE, npx skitai serve.ts answers, tsc --noEmit passes`, async () => {
      const output = (await installAll()).get(dir)!
      const cwd = join(tmp, dir)
      assert.doesNotMatch(output, /EBADENGINE|ERESOLVE|deprecated @skitai/, output)
      assert.equal(existsSync(join(cwd, 'package.json')), dir !== 'no-package-json')
      if (dir === 'with-npm-init')
        assert.equal(JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')).type, 'commonjs')

      const port = await freePort()
      const server = await startServer('npx', ['--no-install', 'skitai', 'serve.ts', '--port', String(port)], {
        cwd,
        port,
        env,
        // npx does not pass SIGTERM on to the server it started: stop() signals the whole process group
        detached: true,
      })
      try {
        const base = `http://127.0.0.1:${port}`
        const hello = await request(`${base}/hello/4`)
        assert.equal(hello.statusCode, 200, server.output())
        assert.equal(await hello.body.text(), 'num is 5')
        const greet = await request(`${base}/greet/Ann?punct=.`)
        assert.equal(await greet.body.text(), 'Hello, Ann.')
        const sum = await request(`${base}/sum`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ a: 2, b: 3 }),
        })
        assert.deepEqual(await sum.body.json(), { sum: 5 })
        const seen = await request(`${base}/seen`)
        assert.equal(await seen.body.text(), '/hello/4,/greet/Ann,/sum,/seen', 'the decorated hook ran')
      } finally {
        await server.stop()
      }

      const ok = await tsc(cwd, ['--noEmit', '-p', '.'])
      assert.equal(ok.code, 0, `tsc --noEmit on serve.ts:\n${ok.out}`)
      // the types are real: each line marked WRONG fails, and nothing else does
      const bad = await tsc(cwd, ['--noEmit', '-p', 'wrong'])
      assert.notEqual(bad.code, 0, 'tsc must fail on wrong/bad.ts')
      const failed = new Set([...bad.out.matchAll(/bad\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])))
      assert.deepEqual(
        [...failed].sort((a, b) => a - b),
        badLines(),
        bad.out,
      )
      if (dir === 'with-npm-init') {
        // the published typings check clean themselves: every type they import resolves (no implicit
        // any from a missing @types package), nothing they need was stripped as internal
        const strict = await tsc(cwd, ['--noEmit', '-p', '.', '--skipLibCheck', 'false'])
        const ours = strict.out.split('\n').filter((l) => l.includes('node_modules/@skitai/'))
        assert.deepEqual(ours, [], strict.out)
      }
    })
  }
})
