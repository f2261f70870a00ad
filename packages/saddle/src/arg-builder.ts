/**
 * The per-route argument builder (README "Arguments by name"): compiled once at registration from the handler's
 * signature and the route's rule, then used on every request with no reflection — `build` is one loop
 * over precomputed names plus one pass over the request's keys.
 */
import { HttpError } from '@skitai/was'
import { mergeArgs } from './args.js'
import { FORBIDDEN_KEYS, type HandlerSignature } from './signature.js'
import type { RuleInfo } from './router.js'

export interface ArgBuilder {
  /** Parameter names after `was`, in order, picks of a `{ a, ...form }` catch-all last (RPC, URL building). */
  readonly names: readonly string[]
  /** False when the handler takes only `was` and its URL variables: query and body are not bound (and never rejected). */
  readonly takesInput: boolean
  /** Literal defaults, to copy into request.args for parameters that got no value. */
  readonly defaults: Readonly<Record<string, unknown>>
  /** The handler has a catch-all (`{ ...form }` or a last parameter named form/args/kwargs). */
  readonly hasCatchAll: boolean
  /** args = merged request args (args.ts); returns the arguments after `was`. Throws HttpError(400). */
  build(args: Record<string, unknown>): unknown[]
  /**
   * The same arguments as `build(mergeArgs(urlParams, query, body))`, read straight from the three
   * sources without building the merged object (the request's hot path).
   */
  buildFrom(
    urlParams: Record<string, unknown>,
    query: Record<string, unknown> | null,
    body: Record<string, unknown> | null,
  ): unknown[]
  /** XML-RPC / JSON-RPC by position: URL variables by name, then `values` fill the remaining names in order. */
  positional(values: unknown[], urlParams: Record<string, unknown>): unknown[]
  /** The by-name object `positional` builds before binding (for request.args of an RPC call). Throws HttpError(400). */
  nameValues(values: unknown[], urlParams: Record<string, unknown>): Record<string, unknown>
}

class CompiledArgBuilder implements ArgBuilder {
  readonly names: readonly string[]
  readonly takesInput: boolean
  readonly defaults: Readonly<Record<string, unknown>>
  readonly hasCatchAll: boolean
  /** Named parameters (the catch-all's picks excluded: they travel inside the catch-all object). */
  private readonly bound: string[]
  private readonly boundRequired: boolean[]
  /** Picks of `{ a, ...form }` that have no default. */
  private readonly requiredPicks: string[]
  /** Null-prototype set of every name the handler takes, for the unexpected-parameter check. */
  private readonly accepted: Record<string, true>
  /** Null-prototype set of the bound names, kept out of the catch-all object (the `**form` of Python). */
  private readonly boundSet: Record<string, true>

  constructor(sig: HandlerSignature, rule: RuleInfo) {
    const picks = sig.catchAll?.kind === 'rest-object' ? sig.catchAll.pickParams : []
    this.bound = sig.params.map((p) => p.name)
    this.boundRequired = sig.params.map((p) => !p.hasDefault)
    this.requiredPicks = picks.filter((p) => !p.hasDefault).map((p) => p.name)
    this.names = Object.freeze([...this.bound, ...picks.map((p) => p.name)])
    this.hasCatchAll = sig.catchAll !== null
    this.accepted = Object.create(null)
    for (const n of this.names) this.accepted[n] = true
    this.boundSet = Object.create(null)
    for (const n of this.bound) this.boundSet[n] = true
    const defaults: Record<string, unknown> = Object.create(null)
    for (const p of [...sig.params, ...picks]) if ('literalDefault' in p) defaults[p.name] = p.literalDefault
    this.defaults = Object.freeze(defaults)

    const urlVars = new Set(rule.vars.map((v) => v.name))
    for (const v of urlVars) {
      if (this.accepted[v] !== true && !this.hasCatchAll) {
        throw new Error(
          `route '${rule.rule}': the handler does not take the URL variable '${v}' ` +
            `(add a parameter named '${v}', or a catch-all { ...form })${renamedHint(v, this.names)}`,
        )
      }
    }
    this.takesInput = this.hasCatchAll || this.names.some((n) => !urlVars.has(n))
  }

  build(args: Record<string, unknown>): unknown[] {
    const bound = this.bound
    const n = bound.length
    const out = new Array<unknown>(this.hasCatchAll ? n + 1 : n)
    for (let i = 0; i < n; i++) {
      const v = args[bound[i]]
      // undefined for a parameter with a default: JavaScript applies the default itself.
      if (v === undefined && this.boundRequired[i]) throw new HttpError(400, `missing parameter: ${bound[i]}`)
      out[i] = v
    }
    if (this.hasCatchAll) {
      for (const p of this.requiredPicks) {
        if (args[p] === undefined) throw new HttpError(400, `missing parameter: ${p}`)
      }
      // Every value no bound parameter took; picks stay in so `{ a, ...form }` can destructure them
      // (and JavaScript's rest then leaves them out of `form`, as Python's **form does).
      const rest: Record<string, unknown> = Object.create(null)
      const boundSet = this.boundSet
      for (const k of Object.keys(args)) if (boundSet[k] !== true) rest[k] = args[k]
      out[n] = rest
    } else if (this.takesInput) {
      const accepted = this.accepted
      for (const k in args) if (accepted[k] !== true) throw new HttpError(400, `unexpected parameter: ${k}`)
    }
    return out
  }

  buildFrom(
    urlParams: Record<string, unknown>,
    query: Record<string, unknown> | null,
    body: Record<string, unknown> | null,
  ): unknown[] {
    if (this.hasCatchAll) return this.build(mergeArgs(urlParams, query, body))
    const bound = this.bound
    const n = bound.length
    const out = new Array<unknown>(n)
    for (let i = 0; i < n; i++) {
      const name = bound[i] as string
      const fromUrl = urlParams[name]
      // mergeArgs' rules: the body overrides the query; a URL variable also given as input → [url, ...]
      let v = body === null ? undefined : body[name]
      // a JSON body is an ordinary object: an inherited member (`toString`) is not an argument
      if (v !== undefined && !Object.hasOwn(body as object, name)) v = undefined
      if (v === undefined && query !== null) v = query[name]
      if (v === undefined) v = fromUrl
      else if (fromUrl !== undefined) v = Array.isArray(v) ? [fromUrl, ...v] : [fromUrl, v]
      if (v === undefined && this.boundRequired[i]) throw new HttpError(400, `missing parameter: ${name}`)
      out[i] = v
    }
    if (this.takesInput) {
      const accepted = this.accepted
      if (query !== null) for (const k in query) if (accepted[k] !== true) unexpected(k)
      if (body !== null) for (const k of Object.keys(body)) if (accepted[k] !== true) unexpected(k)
    }
    return out
  }

  nameValues(values: unknown[], urlParams: Record<string, unknown>): Record<string, unknown> {
    const named: Record<string, unknown> = Object.create(null)
    for (const k of Object.keys(urlParams)) named[k] = urlParams[k]
    let next = 0
    for (const name of this.names) {
      if (next >= values.length) break
      if (named[name] !== undefined) continue
      named[name] = values[next++]
    }
    if (next < values.length) {
      throw new HttpError(400, `too many parameters: expected at most ${next}, got ${values.length}`)
    }
    return named
  }

  positional(values: unknown[], urlParams: Record<string, unknown>): unknown[] {
    return this.build(this.nameValues(values, urlParams))
  }
}

/** A key no parameter takes → 400; `__proto__` and friends are dropped silently, as mergeArgs drops them. */
function unexpected(k: string): void {
  if (!FORBIDDEN_KEYS.has(k)) throw new HttpError(400, `unexpected parameter: ${k}`)
}

/**
 * esbuild (and so tsx) renames a parameter that shadows a name of an enclosing scope: `name` → `name2`
 * (evanw/esbuild#2343). When a URL variable is missing and such a twin exists, say so.
 */
function renamedHint(v: string, names: readonly string[]): string {
  const twin = names.find((n) => n.length > v.length && n.startsWith(v) && /^[0-9]+$/.test(n.slice(v.length)))
  return twin === undefined
    ? ''
    : `; the handler has '${twin}' — if the source was compiled by esbuild/tsx, it renamed '${v}' because an ` +
        `outer variable is also called '${v}': rename that variable, or declare params: [...] on the route`
}

/** Throws at registration when a URL variable is not a parameter of the handler and there is no catch-all. */
export function compileArgBuilder(sig: HandlerSignature, rule: RuleInfo): ArgBuilder {
  return new CompiledArgBuilder(sig, rule)
}
