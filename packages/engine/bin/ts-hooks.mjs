// Module load hook that compiles the user's TypeScript with TypeScript's own transpileModule.
// Why not let tsx (esbuild) do it: esbuild renames a parameter that shadows a top-level name of the
// module (`const num = 1; app.route('/x', (was, num) => …)` becomes `(was, num2)`, esbuild #2343), and
// Saddle fills handler arguments by their names. TypeScript keeps every name as written. tsx still
// resolves modules ('./app.js' → app.ts, tsconfig paths) and handles everything this hook passes on.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const TS_FILE = /\.(m?ts|tsx)$/
const compilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  useDefineForClassFields: true,
  jsx: ts.JsxEmit.ReactJSX,
  inlineSourceMap: true,
  inlineSources: true,
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || url.includes('/node_modules/')) return nextLoad(url, context)
  const path = fileURLToPath(url)
  if (!TS_FILE.test(path)) return nextLoad(url, context)
  // tsx decides the format (module vs commonjs by package.json "type" and extension); only ES modules
  // are recompiled here — CommonJS TypeScript keeps tsx's output.
  const loaded = await nextLoad(url, context)
  if (loaded.format !== 'module') return loaded
  const source = await readFile(path, 'utf8')
  const out = ts.transpileModule(source, { fileName: path, compilerOptions })
  return { format: 'module', source: out.outputText, shortCircuit: true }
}
