// app.openapi(): an OpenAPI 3.1 document of the app's routes, checked by a well-kept validator
// (@apidevtools/swagger-parser) and field by field: paths from fancy URLs with typed variables, query
// parameters required exactly when they have no default, bodies for POST, doc, auth schemes, packages.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import SwaggerParser from '@apidevtools/swagger-parser'
import { testClient } from '@skitai/engine'
import { type OpenApiDocument, Package, Saddle } from '@skitai/saddle'

function makeApp(): Saddle {
  const app = new Saddle(import.meta.url, { name: 'shop' })
  app.securekey = 'k'.repeat(40)
  app.route('/', { methods: ['GET'] }, (was) => 'home')
  app.route('/items/<int:id>', { methods: ['GET'], doc: 'One item.\nWith its price.' }, (was, id) => ({ id }))
  app.route('/price/<float:p>/<name>', { methods: ['GET'] }, (was, p, name) => `${name}: ${p}`)
  app.route('/files/<path:rest>', { methods: ['GET'] }, (was, rest) => rest)
  app.route(
    '/search',
    { methods: ['GET'], paramTypes: { tags: { type: 'array', items: { type: 'string' } } } },
    (was, q, limit = 10, ratio = 0.5, exact = false, sort = 'name', tags = undefined) => [
      q,
      limit,
      ratio,
      exact,
      sort,
      tags,
    ],
  )
  app.route('/items', { methods: ['POST', 'PUT'] }, (was, name, price = 1) => ({ name, price }))
  app.route('/any', (was, x = 1) => x)
  app.route('/form', { methods: ['POST'], contentTypes: ['application/json'] }, (was, { a, ...form }) => [a, form])
  app.route('/me', { methods: ['GET'], authenticate: 'bearer' }, (was) => was.request.user)
  app.route('/hidden', { openapi: false }, (was) => 'not listed')
  app.route('/ws', { websocket: {} }, (was, message) => message)
  app.route('/add', (was, a, b) => {
    'Adds two numbers.'
    return Number(a) + Number(b)
  })
  const pkg = new Package()
  pkg.route('/orders/<int:oid>', { methods: ['GET'] }, (was, oid, detail = false) => ({ oid, detail }))
  app.addPackage(pkg, { prefix: '/v1', ns: 'v1' })
  return app
}

const op = (doc: OpenApiDocument, path: string, method: string) => {
  const o = doc.paths[path]?.[method]
  assert.ok(o !== undefined, `${method.toUpperCase()} ${path} is in the document: ${Object.keys(doc.paths)}`)
  return o
}

describe('app.openapi()', () => {
  test('the document passes the OpenAPI 3.1 validator', async () => {
    const doc = makeApp().openapi({ title: 'Shop', version: '2.0.0' })
    assert.equal(doc.openapi, '3.1.0')
    assert.deepEqual(doc.info, { title: 'Shop', version: '2.0.0' })
    await SwaggerParser.validate(structuredClone(doc) as any)
  })

  test('paths from fancy URLs, path parameters typed by the rule', () => {
    const doc = makeApp().openapi()
    assert.deepEqual(doc.info, { title: 'shop', version: '0.0.0' })
    assert.deepEqual(op(doc, '/items/{id}', 'get').parameters, [
      { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } },
    ])
    const price = op(doc, '/price/{p}/{name}', 'get').parameters!
    assert.deepEqual(
      price.map((p) => [p.name, p.in, p.schema.type]),
      [
        ['p', 'path', 'number'],
        ['name', 'path', 'string'],
      ],
    )
    assert.equal(op(doc, '/files/{rest}', 'get').parameters![0]!.schema.type, 'string')
    assert.ok(doc.paths['/v1/orders/{oid}'], 'a package route under its prefix')
    assert.equal(doc.paths['/hidden'], undefined, 'openapi: false leaves a route out')
    assert.equal(doc.paths['/ws'], undefined, 'WebSocket routes are not described')
  })

  test('query parameters: required exactly when without a default, typed by the default or paramTypes', () => {
    const params = op(makeApp().openapi(), '/search', 'get').parameters!
    assert.deepEqual(
      params.map((p) => [p.name, p.in, p.required, p.schema]),
      [
        ['q', 'query', true, {}],
        ['limit', 'query', false, { type: 'integer', default: 10 }],
        ['ratio', 'query', false, { type: 'number', default: 0.5 }],
        ['exact', 'query', false, { type: 'boolean', default: false }],
        ['sort', 'query', false, { type: 'string', default: 'name' }],
        ['tags', 'query', false, { type: 'array', items: { type: 'string' } }],
      ],
    )
    const order = op(makeApp().openapi(), '/v1/orders/{oid}', 'get').parameters!
    assert.deepEqual(
      order.map((p) => [p.name, p.in, p.required]),
      [
        ['oid', 'path', true],
        ['detail', 'query', false],
      ],
    )
  })

  test('methods: a body for POST/PUT, GET and POST for a route of any method', () => {
    const doc = makeApp().openapi()
    for (const method of ['post', 'put']) {
      const body = op(doc, '/items', method).requestBody!
      assert.equal(body.required, true)
      assert.deepEqual(Object.keys(body.content), [
        'application/json',
        'application/x-www-form-urlencoded',
        'multipart/form-data',
      ])
      assert.deepEqual(body.content['application/json']!.schema, {
        type: 'object',
        properties: { name: {}, price: { type: 'integer', default: 1 } },
        required: ['name'],
        additionalProperties: false,
      })
    }
    assert.deepEqual(Object.keys(doc.paths['/any']!), ['get', 'post'])
    assert.equal(op(doc, '/any', 'get').parameters![0]!.required, false)
    const form = op(doc, '/form', 'post').requestBody!
    assert.deepEqual(Object.keys(form.content), ['application/json'], 'the route’s contentTypes')
    assert.equal(form.content['application/json']!.schema.additionalProperties, true, 'a catch-all takes any field')
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((o) => o.operationId))
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique')
  })

  test("summary and description from the route's doc or the handler's docstring", () => {
    const doc = makeApp().openapi()
    const item = op(doc, '/items/{id}', 'get')
    assert.equal(item.summary, 'One item.')
    assert.equal(item.description, 'One item.\nWith its price.')
    assert.equal(op(doc, '/add', 'post').summary, 'Adds two numbers.')
    assert.equal(op(doc, '/add', 'get').description, undefined)
    assert.deepEqual(op(doc, '/v1/orders/{oid}', 'get').tags, ['v1'])
    assert.deepEqual(doc.tags, [{ name: 'v1' }])
  })

  test('auth options become security schemes', async () => {
    const app = makeApp()
    let doc = app.openapi()
    assert.deepEqual(doc.components.securitySchemes, {
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    })
    assert.deepEqual(op(doc, '/me', 'get').security, [{ bearerAuth: [] }])
    assert.ok(op(doc, '/me', 'get').responses['401'])
    assert.equal(op(doc, '/', 'get').security, undefined)
    assert.equal(doc.security, undefined)
    // app-wide: the document's security covers every operation
    app.authenticate = 'digest'
    app.users = { ann: 'pw' }
    doc = app.openapi()
    assert.deepEqual(doc.security, [{ digestAuth: [] }])
    assert.deepEqual(doc.components.securitySchemes.digestAuth, { type: 'http', scheme: 'digest' })
    assert.ok(op(doc, '/', 'get').responses['401'])
    await SwaggerParser.validate(structuredClone(doc) as any)
  })

  test('served by a route; the same routes stay RPC methods', async () => {
    const app = makeApp()
    app.route('/openapi.json', { methods: ['GET'], openapi: false }, (was) =>
      was.app.openapi({ title: 'Shop', version: '1' }),
    )
    const cli = testClient(app)
    try {
      const r = await cli.get('/openapi.json')
      assert.equal(r.status, 200)
      assert.match(String(r.headers['content-type']), /application\/json/)
      const doc = r.json() as OpenApiDocument
      assert.ok(doc.paths['/items/{id}'])
      assert.equal(doc.servers[0]!.url, '/')
      const rpc = await cli.post('/', { method: 'system.listMethods', params: [], id: 1, jsonrpc: '2.0' })
      const methods = rpc.json().result as string[]
      for (const m of ['add', 'any', 'items', 'form', 'hidden']) assert.ok(methods.includes(m), `${m} in ${methods}`)
    } finally {
      await cli.close()
    }
  })
})
