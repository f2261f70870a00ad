/**
 * `app.openapiPage('/docs', { spec: '/openapi.json' })`: a browsable API page (README "OpenAPI") built
 * on Swagger UI, whose files are served from the swagger-ui-dist package in node_modules — no CDN, so
 * the page works where nothing outside the machine is reachable. The page and its files are GET routes
 * of the app, left out of the OpenAPI document.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { HttpError } from '@skitai/was'
import type { DocumentedApp } from './document.js'

export interface OpenApiPageOptions {
  /** The document's URL, a path of this app (its mount point is prefixed) or an absolute URL. Default '/openapi.json'. */
  spec?: string
  /** The page title. Default: the app's name + " API". */
  title?: string
}

/** The Swagger UI files the page loads, and their types. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
}

let assetDir: string | null = null
/** swagger-ui-dist's folder, found once (resolved from this package, wherever it is installed). */
function swaggerUiDir(): string {
  assetDir ??= dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
  return assetDir
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

function pageHtml(title: string, assets: string, specUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="${assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-spec="${escapeHtml(specUrl)}"></div>
<script src="${assets}/swagger-ui-bundle.js"></script>
<script src="${assets}/init.js"></script>
</body>
</html>
`
}

// A file of its own rather than an inline script, so a Content-Security-Policy without 'unsafe-inline' allows it.
const INIT_JS = `const root = document.getElementById('swagger-ui')
window.ui = SwaggerUIBundle({ url: root.dataset.spec, domNode: root, deepLinking: true })
`

export function addOpenApiPage(app: DocumentedApp, path: string, options: OpenApiPageOptions = {}): void {
  const base = path.replace(/\/+$/, '')
  if (!base.startsWith('/')) throw new Error(`openapiPage: the path must start with '/', got ${JSON.stringify(path)}`)
  if (/[<>]/.test(base)) throw new Error(`openapiPage: the path may not have URL variables: ${path}`)
  const spec = options.spec ?? '/openapi.json'
  const title = options.title ?? `${app.name} API`
  swaggerUiDir() // fail at registration, not at the first request, when swagger-ui-dist is missing
  const routeOptions = { methods: ['GET'], openapi: false }
  app.route(base, { ...routeOptions, name: 'openapiPage' }, (was) => {
    const mount = was.app.basePath
    const specUrl = /^[a-z]+:/i.test(spec) ? spec : mount + spec
    was.response.setHeader('Content-Type', 'text/html; charset=utf-8')
    return pageHtml(title, `${mount}${base}`, specUrl)
  })
  app.route(`${base}/<asset>`, { ...routeOptions, name: 'openapiPageAsset' }, (was, asset) => {
    was.response.setHeader('Cache-Control', 'public, max-age=3600')
    if (asset === 'init.js') {
      was.response.setHeader('Content-Type', 'text/javascript; charset=utf-8')
      return INIT_JS
    }
    const type = ASSETS[asset]
    if (type === undefined) throw new HttpError(404, 'Not Found', { detail: `no API page file ${asset}` })
    return was.response.file(join(swaggerUiDir(), asset), type)
  })
}
