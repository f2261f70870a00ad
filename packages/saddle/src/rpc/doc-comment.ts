/**
 * `system.methodHelp` text from a handler's source, the JavaScript counterpart of a Python docstring:
 *   - a string literal as the first statement of the body —
 *       app.route('/add', (was, a, b) => { 'Adds two numbers.'; return a + b })
 *     (a directive: it survives tsx/esbuild, which drop comments);
 *   - otherwise the comment(s) at the top of the body (plain JavaScript, tsc output).
 * Read with acorn on demand (only when methodHelp is asked) and cached per handler.
 */
import { type Comment, parse } from 'acorn'

const cache = new WeakMap<Function, string>()

export function docFromSource(fn: Function): string {
  const hit = cache.get(fn)
  if (hit !== undefined) return hit
  const doc = read(fn)
  cache.set(fn, doc)
  return doc
}

function read(fn: Function): string {
  let src: string
  try {
    src = Function.prototype.toString.call(fn)
  } catch {
    return ''
  }
  // Functions and arrows parse as expressions; method sources (`name(a) {…}`) only inside a class body.
  for (const code of [`(${src}\n)`, `(class {${src}\n})`]) {
    const comments: Comment[] = []
    let ast: any
    try {
      ast = parse(code, { ecmaVersion: 'latest', sourceType: 'script', onComment: comments })
    } catch {
      continue
    }
    const fnNode = findFunction(ast)
    if (fnNode === null || fnNode.body?.type !== 'BlockStatement') return ''
    const body = fnNode.body
    const first = body.body[0]
    if (first?.type === 'ExpressionStatement' && first.expression.type === 'Literal') {
      if (typeof first.expression.value === 'string') return first.expression.value.trim()
    }
    const firstStatement = body.body.length > 0 ? body.body[0].start : body.end
    const lines = comments
      .filter((c) => c.start > body.start && c.end <= firstStatement)
      .map((c) => cleanComment(c))
      .filter((t) => t !== '')
    return lines.join('\n')
  }
  return ''
}

function findFunction(ast: any): any {
  const e = ast.body[0]?.expression
  if (e?.type === 'FunctionExpression' || e?.type === 'ArrowFunctionExpression') return e
  const member = e?.body?.body?.[0]
  if (member?.type === 'MethodDefinition') return member.value
  return null
}

function cleanComment(c: Comment): string {
  if (c.type === 'Line') return c.value.trim()
  return c.value
    .split('\n')
    .map((l) => l.replace(/^\s*\*?\s?/, '').trimEnd())
    .join('\n')
    .replace(/^\*\s*/, '')
    .trim()
}
