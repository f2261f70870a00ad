// examples/notes describes itself: /openapi.json passes the OpenAPI 3.1 validator
// (@apidevtools/swagger-parser), its path parameters are typed as in the rules, its required query
// parameters are those without defaults; /docs (Swagger UI served from node_modules) lists the routes
// in headless Chromium, with no request leaving the machine.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import SwaggerParser from '@apidevtools/swagger-parser'
import type { OpenApiDocument } from '@skitai/saddle'
import { app } from '../examples/notes/app.ts'
import { type BrowserKit, serveInBrowser } from './browser-kit.ts'

let kit: BrowserKit

before(async () => {
  kit = await serveInBrowser(app)
})
after(() => kit?.close())

async function fetchDoc(): Promise<OpenApiDocument> {
  const r = await fetch(`${kit.base}/openapi.json`)
  assert.equal(r.status, 200)
  return (await r.json()) as OpenApiDocument
}

test('examples/notes: /openapi.json is a valid OpenAPI 3.1 document of its routes', async () => {
  const doc = await fetchDoc()
  await SwaggerParser.validate(structuredClone(doc) as any)
  assert.equal(doc.openapi, '3.1.0')
  assert.equal(doc.info.title, 'Notes')
  assert.deepEqual(Object.keys(doc.paths).sort(), [
    '/',
    '/api/v1/notes',
    '/api/v1/notes/{id}',
    '/api/v1/notes/{id}/attachment',
    '/api/v1/search',
    '/notes',
  ])
  for (const path of ['/api/v1/notes/{id}', '/api/v1/notes/{id}/attachment']) {
    assert.deepEqual(doc.paths[path]!.get!.parameters, [
      { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } },
    ])
  }
  const search = doc.paths['/api/v1/search']!.get!
  assert.deepEqual(
    search.parameters!.filter((p) => p.required).map((p) => p.name),
    ['q'],
    'required query parameters: those without defaults',
  )
  assert.deepEqual(search.parameters!.find((p) => p.name === 'limit')!.schema, { type: 'integer', default: 20 })
  const add = doc.paths['/notes']!.post!
  assert.equal(add.summary, 'Adds a note, with an optional attachment.')
  const form = add.requestBody!.content['multipart/form-data']!.schema as any
  assert.deepEqual(form.required, ['title'])
  assert.equal(form.properties.attachment.contentMediaType, 'application/octet-stream')
  // what the document says is what the app does
  const r = await fetch(`${kit.base}/api/v1/search`)
  assert.equal(r.status, 400, 'q is required')
  assert.equal((await fetch(`${kit.base}/api/v1/search?q=x`)).status, 200)
})

test('examples/notes: /docs renders the route list in Chromium from local files only', async () => {
  const context = await kit.browser.newContext()
  const page = await context.newPage()
  const foreign: string[] = []
  page.on('request', (req) => {
    if (!req.url().startsWith(kit.base) && !req.url().startsWith('data:')) foreign.push(req.url())
  })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  try {
    await page.goto(`${kit.base}/docs`)
    await page.waitForSelector('.opblock', { timeout: 20_000 })
    const rows = await page.$$eval('.opblock', (els) =>
      els.map((el) => {
        const method = el.querySelector('.opblock-summary-method')?.textContent?.trim()
        const path = el.querySelector('.opblock-summary-path')?.getAttribute('data-path')
        return `${method} ${path}`
      }),
    )
    for (const row of [
      'GET /',
      'POST /notes',
      'GET /api/v1/notes',
      'GET /api/v1/notes/{id}',
      'GET /api/v1/notes/{id}/attachment',
      'GET /api/v1/search',
    ]) {
      assert.ok(rows.includes(row), `${row} is listed: ${rows.join(', ')}`)
    }
    assert.equal(await page.textContent('.info .title'), 'Notes 1.0.0 OAS 3.1')
    assert.deepEqual(foreign, [], 'no request leaves the machine')
    assert.deepEqual(errors, [])
  } finally {
    await context.close()
  }
})

test('the API page answers 404 for a file it does not serve', async () => {
  assert.equal((await fetch(`${kit.base}/docs/package.json`)).status, 404)
  const css = await fetch(`${kit.base}/docs/swagger-ui.css`)
  assert.equal(css.status, 200)
  assert.match(String(css.headers.get('content-type')), /text\/css/)
})
