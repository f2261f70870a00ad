/**
 * One OpenAPI operation per route and method (README "OpenAPI"): the URL variables as path parameters,
 * the handler's other parameter names as query parameters (GET, HEAD, DELETE, OPTIONS) or as the
 * fields of the request body (POST, PUT, PATCH), required when they have no default; summary and
 * description from the route's `doc` (or the docstring at the top of the handler).
 */
import type { Route } from '../route.js'
import { docFromSource } from '../rpc/doc-comment.js'
import type { HandlerParam } from '../signature.js'
import { paramSchema, urlVarSchema } from './schema.js'
import type { SecurityCollector } from './security.js'
import type { JsonSchema, OpenApiOperation, OpenApiParameter, ParamType } from './types.js'

const BODY_METHODS = new Set(['post', 'put', 'patch'])
/** What Saddle reads a body from when the route does not restrict `contentTypes` (args.ts). */
const BODY_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']

/** The methods a route is documented under: its `methods`, or GET and POST for a route of any method. */
export function documentedMethods(route: Route): string[] {
  if (route.methods === null) return ['get', 'post']
  return route.methods.map((m) => m.toLowerCase()).filter((m) => m !== 'head')
}

/** The handler's named inputs other than URL variables, picks of a `{ a, ...form }` catch-all included. */
function namedInputs(route: Route): HandlerParam[] {
  const urlVars = new Set(route.rule.vars.map((v) => v.name))
  const sig = route.signature
  const picks = sig.catchAll?.kind === 'rest-object' ? sig.catchAll.pickParams : []
  return [...sig.params, ...picks].filter((p) => !urlVars.has(p.name))
}

function declaredTypes(route: Route): Record<string, ParamType> {
  const t = route.options.paramTypes
  return t !== null && typeof t === 'object' ? (t as Record<string, ParamType>) : {}
}

function docText(route: Route): string {
  const doc = route.options.doc
  return (typeof doc === 'string' ? doc : docFromSource(route.handler)).trim()
}

export function buildOperation(
  route: Route,
  method: string,
  operationId: string,
  security: SecurityCollector,
): OpenApiOperation {
  const types = declaredTypes(route)
  const params = route.signature.params
  const op: OpenApiOperation = { operationId, responses: { '200': { description: 'OK' } } }
  const doc = docText(route)
  if (doc !== '') {
    const [first, ...rest] = doc.split('\n')
    op.summary = first!.trim()
    if (rest.join('\n').trim() !== '') op.description = doc
  }
  if (route.owner.ns !== '') op.tags = [route.owner.ns]

  const parameters: OpenApiParameter[] = route.rule.vars.map((v) => {
    const schema = {
      ...urlVarSchema(v.type),
      ...(types[v.name] === undefined ? {} : paramSchema({ name: v.name, hasDefault: false }, types[v.name])),
    }
    const p = params.find((x) => x.name === v.name)
    if (p !== undefined && 'literalDefault' in p && p.literalDefault !== undefined) schema.default = p.literalDefault
    return { name: v.name, in: 'path', required: true, schema }
  })
  const inputs = namedInputs(route)
  const required = inputs.filter((p) => !p.hasDefault).map((p) => p.name)
  if (BODY_METHODS.has(method)) {
    if (inputs.length > 0 || route.signature.catchAll !== null) {
      const schema: JsonSchema = { type: 'object', properties: {} }
      for (const p of inputs) (schema.properties as Record<string, JsonSchema>)[p.name] = paramSchema(p, types[p.name])
      if (required.length > 0) schema.required = required
      // a catch-all ({ ...form }, form/args/kwargs) takes any other field; otherwise an unknown one is a 400
      schema.additionalProperties = route.signature.catchAll !== null
      const mediaTypes = route.contentTypes === null ? BODY_TYPES : [...route.contentTypes]
      op.requestBody = {
        required: required.length > 0,
        content: Object.fromEntries(mediaTypes.map((t) => [t, { schema }])),
      }
    }
  } else {
    for (const p of inputs)
      parameters.push({ name: p.name, in: 'query', required: !p.hasDefault, schema: paramSchema(p, types[p.name]) })
  }
  if (parameters.length > 0) op.parameters = parameters

  if (required.length > 0 || inputs.length > 0)
    op.responses['400'] = { description: 'a parameter is missing, unexpected or malformed' }
  if (route.rule.vars.length > 0) op.responses['404'] = { description: 'no such resource' }
  if (security.secured(route)) op.responses['401'] = { description: 'authentication required' }
  const own = security.routeSecurity(route)
  if (own !== undefined) op.security = own
  return op
}
