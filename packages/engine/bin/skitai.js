#!/usr/bin/env node
// The `skitai` command: `skitai serve.ts [--port 5000] [--address 0.0.0.0] [--devel] [--help]`.
// Runs a serve script, TypeScript or JavaScript, whatever the nearest package.json says (none,
// "commonjs", "module"), through the loader hooks of ts-hooks.mjs (light: the TypeScript compiler never
// loads into this process). The working directory becomes the script's directory and the script sees its
// own options in process.argv, which `skitai.run()` parses (packages/engine/src/cli-options.ts) so they
// override run()'s arguments.
import { existsSync, readFileSync } from 'node:fs'
import { register } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const SCRIPT = /\.(m|c)?(t|j)sx?$/
const args = process.argv.slice(2)
const at = args.findIndex((a) => !a.startsWith('-') && SCRIPT.test(a))

const conditionGiven = process.execArgv.some((a) => a.includes('skitai-source'))
// unbuilt packages (a fresh clone) or SKITAI_SOURCE=1: run against the TypeScript sources
const fromSource =
  !conditionGiven && (process.env.SKITAI_SOURCE === '1' || !existsSync(new URL('../dist/index.js', import.meta.url)))
const sourceMode = conditionGiven || fromSource
let hooksOn = false
function useHooks() {
  if (hooksOn) return
  register('./ts-hooks.mjs', import.meta.url)
  if (fromSource) register('./source-condition.mjs', import.meta.url)
  hooksOn = true
}

/** True when Node loads this JavaScript file as an ES module by itself (.mjs, or "type": "module"). */
function nativeModule(file) {
  if (file.endsWith('.mjs')) return true
  if (file.endsWith('.cjs')) return false
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        return JSON.parse(readFileSync(pkg, 'utf8')).type === 'module'
      } catch {
        return false
      }
    }
    if (dirname(dir) === dir) return false
  }
}

if (at < 0) {
  if (args.includes('--help') || args.includes('-h') || args.length === 0) {
    // the built-in options, from the same parser the engine uses
    const here = new URL('../', import.meta.url)
    let mod
    if (existsSync(new URL('dist/cli-options.js', here))) mod = await import(new URL('dist/cli-options.js', here).href)
    else {
      useHooks()
      mod = await import(new URL('src/cli-options.ts', here).href)
    }
    process.stdout.write(mod.formatHelp([], 'SCRIPT.ts'))
    process.exit(args.length === 0 ? 2 : 0)
  }
  process.stderr.write(`skitai: no serve script given (a .ts or .js file): skitai ${args.join(' ')}\n`)
  process.exit(2)
}

const script = resolve(args[at])
if (!existsSync(script)) {
  process.stderr.write(`skitai: ${args[at]} does not exist\n`)
  process.exit(2)
}
// JavaScript that Node runs as it is needs no hooks (one thread less); anything else goes through them
if (/\.(m|c)?tsx?$/.test(script) || sourceMode || !nativeModule(script)) useHooks()
process.argv = [process.argv[0], script, ...args.slice(0, at), ...args.slice(at + 1)]
process.chdir(dirname(script))
await import(pathToFileURL(script).href)
