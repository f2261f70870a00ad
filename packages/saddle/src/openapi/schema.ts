/**
 * JSON Schemas of a route's inputs (README "OpenAPI"): URL variables by their converter (`<int:x>` →
 * integer, `<float:x>` → number, `<path:x>`/`<x>` → string), other parameters by their literal default
 * (`limit = 10` → integer, default 10) and by the route option `paramTypes` (the annotation, which the
 * running code cannot see). A parameter known by none of these gets the empty schema: any value.
 */
import type { VarType } from '../router.js'
import type { HandlerParam } from '../signature.js'
import type { JsonSchema, ParamType } from './types.js'

/** What a URL variable's converter accepts (router.ts: digits, digits with a decimal part, text). */
export function urlVarSchema(type: VarType): JsonSchema {
  switch (type) {
    case 'int':
      return { type: 'integer', minimum: 0 }
    case 'float':
      return { type: 'number', minimum: 0 }
    case 'path':
      return { type: 'string', description: 'the rest of the path; may contain /' }
    default:
      return { type: 'string' }
  }
}

/** The schema of a JavaScript value's type (a default's). */
export function schemaOfValue(value: unknown): JsonSchema {
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'integer' : 'number' }
  if (typeof value === 'string') return { type: 'string' }
  if (typeof value === 'boolean') return { type: 'boolean' }
  if (Array.isArray(value))
    return value.length > 0 ? { type: 'array', items: schemaOfValue(value[0]) } : { type: 'array' }
  if (value !== null && typeof value === 'object') return { type: 'object' }
  return {}
}

/** The schema a `paramTypes` entry stands for. */
export function schemaOfParamType(t: ParamType): JsonSchema {
  if (typeof t !== 'string') return { ...t }
  if (t === 'file') return { type: 'string', contentMediaType: 'application/octet-stream' }
  return { type: t }
}

/** A named input's schema: its `paramTypes` entry, else its default's type; the default value kept. */
export function paramSchema(param: HandlerParam, declared: ParamType | undefined): JsonSchema {
  const hasLiteral = 'literalDefault' in param
  const schema =
    declared !== undefined ? schemaOfParamType(declared) : hasLiteral ? schemaOfValue(param.literalDefault) : {}
  // `x = undefined` says "optional", not "the default is undefined" (JSON has no undefined)
  if (hasLiteral && param.literalDefault !== undefined && !('default' in schema)) schema.default = param.literalDefault
  return schema
}
