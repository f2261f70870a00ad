/**
 * Reads a handler's parameter names (and defaults) from its source with acorn, once at registration
 * (README "Arguments by name"). The first parameter is always `was`, whatever it is called; the others are filled by name.
 */
import { parse } from 'acorn'

export interface HandlerParam {
  name: string
  hasDefault: boolean
  /** Set when the default is a literal (number, string, boolean, null, array/object of literals); else absent. */
  literalDefault?: unknown
}

export interface HandlerSignature {
  /** Named parameters after `was`, in order. The catch-all parameter itself is not listed. */
  params: HandlerParam[]
  /**
   * rest-object: the last parameter is `{ a, b = 1, ...form }`; `picks` are the names destructured before
   * the rest (also filled by name; `pickParams` says which have defaults). named: the last parameter is
   * called `form`, `args` or `kwargs`.
   */
  catchAll:
    | null
    | { kind: 'rest-object'; picks: string[]; pickParams: HandlerParam[] }
    | { kind: 'named'; name: CatchAllName }
}

export type CatchAllName = 'form' | 'args' | 'kwargs'
const CATCH_ALL_NAMES = new Set<string>(['form', 'args', 'kwargs'])
/** Names that must never become keys we assign into objects. */
export const FORBIDDEN_KEYS = new Set<string>(['__proto__', 'constructor', 'prototype'])

/** Counts readSignature calls, so tests can prove sources are read once per route and never per request. */
export const signatureStats = { reads: 0 }

const NOT_LITERAL: unique symbol = Symbol('not a literal')

export function readSignature(fn: Function, explicitParams?: string[]): HandlerSignature {
  signatureStats.reads++
  if (typeof fn !== 'function') throw new TypeError(`a route handler must be a function, got ${typeof fn}`)
  const label = handlerLabel(fn)
  if (/^class[\s{]/.test(Function.prototype.toString.call(fn))) {
    throw new TypeError(`handler ${label} is a class; route a function or a method of an instance`)
  }
  const node = parseFunction(fn)
  if (explicitParams !== undefined) return fromExplicit(explicitParams, node, label)
  if (node === null) {
    throw new Error(
      `cannot read the parameters of handler ${label} from its source (minified, bound or native); ` +
        `declare them with the route option params: ['name', ...]`,
    )
  }
  if (node.type === 'MethodDefinition') {
    throw new Error(`handler ${label} is a ${node.kind === 'get' ? 'getter' : 'setter'}, not a method`)
  }
  return fromAst(node.params, label)
}

function handlerLabel(fn: Function): string {
  return fn.name ? `'${fn.name}'` : '(anonymous)'
}

/**
 * Returns the function node (FunctionExpression / ArrowFunctionExpression), a MethodDefinition for
 * getters/setters, or null when the source cannot be parsed.
 */
function parseFunction(fn: Function): any {
  let src: string
  try {
    src = Function.prototype.toString.call(fn)
  } catch {
    return null
  }
  if (/\{\s*\[native code\]\s*\}\s*$/.test(src)) return null // native or bound functions
  // Function and arrow sources parse as an expression. Method sources (`name(a) {…}`, `async name(…)`,
  // `*gen(…)`, `#priv(…)`, `get x()`) are only valid inside a class body, so they are wrapped in one.
  const expr = tryParse(`(${src}\n)`)
  if (expr !== null) {
    const e = expr.body[0]?.expression
    if (e?.type === 'FunctionExpression' || e?.type === 'ArrowFunctionExpression') return e
  }
  const cls = tryParse(`(class {${src}\n})`)
  const member = cls?.body[0]?.expression?.body?.body?.[0]
  if (member?.type !== 'MethodDefinition') return null
  return member.kind === 'method' ? member.value : member
}

function tryParse(code: string): any {
  try {
    return parse(code, { ecmaVersion: 'latest', sourceType: 'script' }) as any
  } catch {
    return null
  }
}

function fromAst(nodes: any[], label: string): HandlerSignature {
  const params: HandlerParam[] = []
  let catchAll: HandlerSignature['catchAll'] = null
  const seen = new Set<string>()
  const claim = (name: string): string => {
    if (seen.has(name)) throw new Error(`handler ${label}: parameter '${name}' appears twice`)
    if (FORBIDDEN_KEYS.has(name)) throw new Error(`handler ${label}: a parameter may not be called '${name}'`)
    seen.add(name)
    return name
  }
  for (let i = 0; i < nodes.length; i++) {
    let node = nodes[i]
    const last = i === nodes.length - 1
    if (node.type === 'RestElement') {
      const name = node.argument.type === 'Identifier' ? node.argument.name : '…'
      throw new Error(
        `handler ${label}: rest parameter '...${name}' is not allowed; ` +
          `take extra values with a last parameter { ...form } or one named form/args/kwargs`,
      )
    }
    if (i === 0) continue // `was`, whatever its name or shape
    let hasDefault = false
    let defaultNode: any = null
    if (node.type === 'AssignmentPattern') {
      hasDefault = true
      defaultNode = node.right
      node = node.left
    }
    if (node.type === 'Identifier') {
      if (last && CATCH_ALL_NAMES.has(node.name)) {
        catchAll = { kind: 'named', name: node.name as CatchAllName }
        continue
      }
      params.push(makeParam(claim(node.name), hasDefault, defaultNode))
      continue
    }
    if (node.type === 'ObjectPattern') {
      const restIndex = node.properties.findIndex((p: any) => p.type === 'RestElement')
      if (!last || restIndex < 0) {
        throw new Error(
          `handler ${label}: destructured parameter ${i + 1} is not allowed; only the last parameter may be an ` +
            `object pattern, and it must end with a rest element ({ a, ...form }) to catch all other values`,
        )
      }
      const pickParams: HandlerParam[] = []
      for (const prop of node.properties) {
        if (prop.type === 'RestElement') continue
        pickParams.push(readPick(prop, label, claim))
      }
      catchAll = { kind: 'rest-object', picks: pickParams.map((p) => p.name), pickParams }
      continue
    }
    throw new Error(`handler ${label}: parameter ${i + 1} is an ${node.type}; use plain names, or { ...form } last`)
  }
  return { params, catchAll }
}

function readPick(prop: any, label: string, claim: (name: string) => string): HandlerParam {
  let key: string | null = null
  if (!prop.computed && prop.key.type === 'Identifier') key = prop.key.name
  else if (!prop.computed && prop.key.type === 'Literal' && typeof prop.key.value === 'string') key = prop.key.value
  let value = prop.value
  let hasDefault = false
  let defaultNode: any = null
  if (value.type === 'AssignmentPattern') {
    hasDefault = true
    defaultNode = value.right
    value = value.left
  }
  if (key === null || value.type !== 'Identifier') {
    throw new Error(`handler ${label}: the catch-all object may only pick plain names ({ a, b = 1, ...form })`)
  }
  return makeParam(claim(key), hasDefault, defaultNode)
}

/** A parameter; its default is kept as `literalDefault` only when it is a literal. */
function makeParam(name: string, hasDefault: boolean, defaultNode: any): HandlerParam {
  const p: HandlerParam = { name, hasDefault }
  if (defaultNode !== null) {
    const v = literalValue(defaultNode)
    if (v !== NOT_LITERAL) p.literalDefault = v
  }
  return p
}

/** The value of a literal default expression, deeply frozen; NOT_LITERAL for anything computed. */
function literalValue(node: any): unknown {
  switch (node.type) {
    case 'Literal':
      if (node.regex !== undefined || node.bigint !== undefined) return NOT_LITERAL
      return node.value
    case 'UnaryExpression':
      if ((node.operator === '-' || node.operator === '+') && node.argument.type === 'Literal') {
        const v = node.argument.value
        if (typeof v === 'number') return node.operator === '-' ? -v : v
      }
      return NOT_LITERAL
    case 'TemplateLiteral':
      return node.expressions.length === 0 ? node.quasis[0].value.cooked : NOT_LITERAL
    case 'ArrayExpression': {
      const out: unknown[] = []
      for (const el of node.elements) {
        if (el === null || el.type === 'SpreadElement') return NOT_LITERAL
        const v = literalValue(el)
        if (v === NOT_LITERAL) return NOT_LITERAL
        out.push(v)
      }
      return Object.freeze(out)
    }
    case 'ObjectExpression': {
      const out: Record<string, unknown> = {}
      for (const prop of node.properties) {
        if (prop.type !== 'Property' || prop.kind !== 'init' || prop.computed || prop.method) return NOT_LITERAL
        const key = prop.key.type === 'Identifier' ? prop.key.name : prop.key.value
        if (typeof key !== 'string' && typeof key !== 'number') return NOT_LITERAL
        if (FORBIDDEN_KEYS.has(String(key))) return NOT_LITERAL
        const v = literalValue(prop.value)
        if (v === NOT_LITERAL) return NOT_LITERAL
        out[key] = v
      }
      return Object.freeze(out)
    }
    default:
      return NOT_LITERAL
  }
}

/**
 * `params: ['num1', 'num2']` for handlers whose source is unreadable or minified. A last name form/args/
 * kwargs is the catch-all. When the source is readable and has the same number of plain parameters,
 * their defaults are kept (a minified `(e, t = 8) => …` with params ['num'] still has a default).
 */
function fromExplicit(names: string[], node: any, label: string): HandlerSignature {
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n === '')) {
    throw new TypeError(`handler ${label}: the params option must be an array of non-empty strings`)
  }
  const seen = new Set<string>()
  for (const n of names) {
    if (seen.has(n)) throw new Error(`handler ${label}: params lists '${n}' twice`)
    if (FORBIDDEN_KEYS.has(n)) throw new Error(`handler ${label}: a parameter may not be called '${n}'`)
    seen.add(n)
  }
  const lastName = names[names.length - 1]
  const catchAll: HandlerSignature['catchAll'] =
    lastName !== undefined && CATCH_ALL_NAMES.has(lastName) ? { kind: 'named', name: lastName as CatchAllName } : null
  const plain = catchAll === null ? names : names.slice(0, -1)
  let fromSource: HandlerParam[] | null = null
  if (node !== null && node.type !== 'MethodDefinition' && node.params.length === names.length + 1) {
    const simple = node.params
      .slice(1)
      .every((p: any) => p.type === 'Identifier' || (p.type === 'AssignmentPattern' && p.left.type === 'Identifier'))
    if (simple) {
      try {
        const read = fromAst(node.params, label)
        if (read.catchAll === null && read.params.length === plain.length) fromSource = read.params
      } catch {
        // the explicit names decide; the source only lends its defaults when it is plain
      }
    }
  }
  const params = plain.map((name, i): HandlerParam => {
    const src = fromSource?.[i]
    if (src === undefined || !src.hasDefault) return { name, hasDefault: false }
    const p: HandlerParam = { name, hasDefault: true }
    if ('literalDefault' in src) p.literalDefault = src.literalDefault
    return p
  })
  return { params, catchAll }
}
