// The TypeScript compiler process of the skitai loader (see ts-hooks.mjs for why it is a separate
// process). Reads one JSON request per line on stdin — { id, path, source } — and answers one JSON line
// per request on stdout — { id, code } or { id, error } — compiled with TypeScript's transpileModule,
// which strips types, lowers TC39 decorators exactly like tsc, and never renames a binding (Saddle fills
// handler arguments by parameter name). Exits when stdin ends.
import { createInterface } from 'node:readline'
import ts from 'typescript'

const compilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  useDefineForClassFields: true,
  verbatimModuleSyntax: false,
  jsx: ts.JsxEmit.ReactJSX,
  inlineSourceMap: true,
  inlineSources: true,
}

const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  let id = -1
  try {
    const req = JSON.parse(line)
    id = req.id
    const out = ts.transpileModule(req.source, { fileName: req.path, compilerOptions, reportDiagnostics: true })
    const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error)
    if (errors.length > 0) {
      const d = errors[0]
      const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined
      const where = pos ? `${req.path}:${pos.line + 1}:${pos.character + 1}` : req.path
      process.stdout.write(
        `${JSON.stringify({ id, error: `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}` })}\n`,
      )
      return
    }
    process.stdout.write(`${JSON.stringify({ id, code: out.outputText })}\n`)
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ id, error: String(e?.stack ?? e) })}\n`)
  }
})
