// What test/pack-e2e.test.ts writes into each fresh project: the serve script and the tsconfig.json of
// README "Use it in your own project" (read from it, so the README shows what the test runs), and a
// file of deliberate type errors.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The text of the first ```LANG block after `heading` in the repository's README.md. */
function readmeBlock(heading: string, lang: string): string {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8')
  const at = readme.indexOf(heading)
  assert.ok(at >= 0, `README.md has the section ${heading}`)
  const open = readme.indexOf(`\`\`\`${lang}\n`, at)
  const close = readme.indexOf('```\n', open + 4)
  assert.ok(open > at && close > open, `README.md ${heading} has a ${lang} block`)
  return readme.slice(open + lang.length + 4, close)
}

const SECTION = '## Use it in your own project'
/** README "Use it in your own project": serve.ts (ESM imports, a class app with TC39 decorators, a hook). */
export const SERVE_TS = readmeBlock(SECTION, 'ts')
/** README "Use it in your own project": tsconfig.json. */
export const TSCONFIG = readmeBlock(SECTION, 'json')

/**
 * Each line ending in `// WRONG` must be a type error, and no other line may be one: if the packages'
 * types were missing or `any`, these lines would compile.
 */
export const BAD_TS = `import skitai from '@skitai/engine'
import { Saddle } from '@skitai/saddle'

const app = new Saddle(import.meta.url)
app.route('/n/<int:num>', (was, num) => {
  const text: string = num // WRONG
  return text
})
app.route('/s/<name>', (was, name) => name.toFixed(2)) // WRONG
app.route('/k', async (was) => {
  const value: number | undefined = was.session.get<string>('k') // WRONG
  const r = await was.get<{ a: number }>('http://127.0.0.1:1/').getwait()
  const a: string = r.data.a // WRONG
  return [value, a]
})
const template: number = app.getTemplate('index.html') // WRONG
skitai.run({ port: 'five thousand' }) // WRONG
skitai.mount(42) // WRONG
export { template }
`

/** The 1-based line numbers of BAD_TS marked WRONG. */
export function badLines(): number[] {
  return BAD_TS.split('\n').flatMap((line, i) => (line.endsWith('// WRONG') ? [i + 1] : []))
}
