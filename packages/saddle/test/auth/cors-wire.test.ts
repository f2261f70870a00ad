import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Saddle } from '@skitai/saddle'
import { type Served, serve } from './serve.js'

let srv: Served
let calls = 0

before(async () => {
  const app = new Saddle(import.meta.url, { name: 'cors' })
  app.route('/page', (_was) => 'page')
  app.route('/form', { methods: ['POST'] }, (_was) => 'posted')
  const api = new Saddle(import.meta.url, { name: 'cors-api' })
  api.accessControlAllowOrigin = ['https://app.example.com']
  api.accessControlMaxAge = 600
  api.route('/items', { methods: ['GET', 'PUT', 'OPTIONS'] }, (_was) => {
    calls++
    return { items: [1] }
  })
  api.route('/get-only', { methods: ['GET'] }, (_was) => 'get only')
  api.route('/open', { cors: ['*'] }, (_was) => 'open')
  api.route('/conflict', (was) => was.response.throw(409, 'busy'))
  srv = await serve({ '/': app, '/api': api })
})
after(() => srv.close())

test('same-origin and Origin-less requests pass; a foreign Origin gets 403', async () => {
  assert.equal((await srv.get('/page')).status, 200)
  assert.equal((await srv.get('/page', { origin: srv.base })).status, 200, "the server's own scheme://host")
  const foreign = await srv.send('POST', '/form', { origin: 'https://evil.example', 'content-type': 'text/plain' }, 'x')
  assert.equal(foreign.status, 403)
  assert.match(foreign.text, /origin https:\/\/evil\.example is not allowed/)
  assert.equal((await srv.get('/page', { origin: 'null' })).status, 403)
})

test('an allowed origin gets Access-Control-Allow-Origin (echoed, with credentials) and Vary', async () => {
  const r = await srv.get('/api/items', { origin: 'https://app.example.com' })
  assert.equal(r.status, 200)
  assert.equal(r.headers['access-control-allow-origin'], 'https://app.example.com')
  assert.equal(r.headers['access-control-allow-credentials'], 'true')
  assert.match(String(r.headers.vary), /Origin/)
  assert.equal((await srv.get('/api/items', { origin: 'https://other.example.com' })).status, 403)
  const err = await srv.get('/api/conflict', { origin: 'https://app.example.com' })
  assert.equal(err.status, 409)
  assert.equal(err.headers['access-control-allow-origin'], 'https://app.example.com', 'errors stay readable')
  const star = await srv.get('/api/open', { origin: 'https://anyone.example' })
  assert.equal(star.status, 200)
  assert.equal(star.headers['access-control-allow-origin'], '*', "route option cors: ['*']")
})

test('preflight is answered by the framework for routes that list OPTIONS; the handler does not run', async () => {
  const before = calls
  const pre = await srv.send('OPTIONS', '/api/items', {
    origin: 'https://app.example.com',
    'access-control-request-method': 'PUT',
    'access-control-request-headers': 'content-type, x-token',
  })
  assert.equal(pre.status, 200)
  assert.equal(pre.text, '')
  assert.equal(pre.headers['content-length'], '0')
  assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example.com')
  assert.equal(pre.headers['access-control-allow-methods'], 'GET, PUT, OPTIONS')
  assert.equal(pre.headers['access-control-allow-headers'], 'content-type, x-token')
  assert.equal(pre.headers['access-control-max-age'], '600')
  assert.equal(calls, before)
  const foreign = await srv.send('OPTIONS', '/api/items', {
    origin: 'https://evil.example',
    'access-control-request-method': 'PUT',
  })
  assert.equal(foreign.status, 403)
  const unlisted = await srv.send('OPTIONS', '/api/get-only', {
    origin: 'https://app.example.com',
    'access-control-request-method': 'GET',
  })
  assert.equal(unlisted.status, 405, 'a route that does not list OPTIONS')
  assert.equal(calls, before)
})
