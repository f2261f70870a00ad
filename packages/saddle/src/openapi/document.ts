/**
 * `app.openapi(info)`: an OpenAPI 3.1 document of the app's routes and its packages' (README "OpenAPI").
 * Paths come from the fancy URLs (`/notes/<int:id>` → `/notes/{id}`), relative to the mount point (the
 * document's `servers`). A rule taken by the app and by a package is the app's, as in the router. Not
 * listed: WebSocket routes (OpenAPI does not describe them) and routes with the option `openapi: false`.
 */
import type { Package } from '../package.js'
import type { Route } from '../route.js'
import type { RuleInfo } from '../router.js'
import { buildOperation, documentedMethods } from './operation.js'
import { SecurityCollector } from './security.js'
import type { OpenApiDocument, OpenApiInfo, OpenApiOperation } from './types.js'

/** `/notes/<int:id>/<path:rest>` → `/notes/{id}/{rest}`. */
export function openApiPath(prefix: string, rule: RuleInfo): string {
  return prefix + rule.parts.map((p) => (p.kind === 'text' ? p.value : `{${p.name}}`)).join('')
}

function documented(route: Route): boolean {
  return route.options.openapi !== false && route.options.websocket === undefined
}

/** The app as the document reads it (`Saddle` is one; named so without importing app.ts). */
export interface DocumentedApp extends Package {
  readonly name: string
  readonly basePath: string
  readonly packages: readonly Package[]
}

export function buildOpenApi(app: DocumentedApp, info?: Partial<OpenApiInfo>): OpenApiDocument {
  const security = new SecurityCollector(app)
  const paths: Record<string, Record<string, OpenApiOperation>> = {}
  const pathOwner = new Map<string, Package>()
  const operationIds = new Set<string>()
  const tags = new Set<string>()

  for (const owner of [app as Package, ...app.packages]) {
    const prefix = owner === app ? '' : owner.prefix
    // routes with their own methods first: for those methods they win over a route of any method
    const routes = owner.packageRoutes.filter(documented)
    routes.sort((a, b) => Number(a.methods === null) - Number(b.methods === null))
    for (const route of routes) {
      const path = openApiPath(prefix, route.rule)
      const taken = pathOwner.get(path)
      if (taken !== undefined && taken !== owner) continue // the router gives this rule to the first owner
      pathOwner.set(path, owner)
      const item = (paths[path] ??= {})
      const methods = documentedMethods(route).filter((m) => item[m] === undefined)
      for (const method of methods) {
        let id = methods.length > 1 || route.methods === null ? `${route.fullName}_${method}` : route.fullName
        for (let n = 2; operationIds.has(id); n++) id = `${route.fullName}_${method}_${n}`
        operationIds.add(id)
        item[method] = buildOperation(route, method, id, security)
      }
      if (owner.ns !== '') tags.add(owner.ns)
    }
  }

  const doc: OpenApiDocument = {
    openapi: '3.1.0',
    info: { ...info, title: info?.title ?? app.name, version: info?.version ?? '0.0.0' },
    servers: [{ url: app.basePath === '' ? '/' : app.basePath }],
    paths,
    components: { securitySchemes: security.schemes },
  }
  const required = security.documentSecurity()
  if (required !== undefined) doc.security = required
  if (tags.size > 0) doc.tags = [...tags].map((name) => ({ name }))
  return doc
}
