/**
 * Handler types from the route rule (README "Typed handlers"): `app.route('/hello/<int:num>', (was, num)
 * => …)` gives `num: number` without an annotation. Template-literal types read the rule's variables in
 * order — `<int:x>` and `<float:x>` are numbers, `<path:x>` and `<x>` strings — and type the handler's
 * parameters after `was` in that order (TypeScript cannot match a parameter by its name, only by its
 * position). Parameters past the URL variables are query/body names the rule does not have: their
 * annotation when they have one, else `unknown`. A rule that is not a string literal types nothing.
 */
import type { SaddleWas } from './saddle-was.js'

/** The value type of a variable of converter `T` (int, float, path, string). */
type VarValue<T extends string> = T extends 'int' | 'float' ? number : string

/** `'int:num'` → number, `'name'` → string. */
type VarOf<V extends string> = V extends `${infer T}:${string}` ? VarValue<T> : string

/** The types of a rule's URL variables, in the rule's order: `'/a/<int:x>/<y>'` → `[number, string]`. */
export type RuleVars<P extends string> = string extends P
  ? []
  : P extends `${string}<${infer V}>${infer Rest}`
    ? [VarOf<V>, ...RuleVars<Rest>]
    : []

/** The names of a rule's URL variables: `'/a/<int:x>/<y>'` → `'x' | 'y'`. */
export type RuleVarNames<P extends string> = P extends `${string}<${infer V}>${infer Rest}`
  ? (V extends `${string}:${infer N}` ? N : V) | RuleVarNames<Rest>
  : never

/**
 * A handler for rule `P`. Declared as a method so that its parameters compare bivariantly: an
 * annotation narrower than the contextual `unknown` of a query parameter (`(was, limit: number)`) is
 * accepted, while one that contradicts a URL variable's type (`<int:num>` with `num: string`) is not.
 */
export type RouteHandler<P extends string> = {
  handler(was: SaddleWas, ...args: [...RuleVars<P>, ...unknown[]]): unknown
}['handler']
