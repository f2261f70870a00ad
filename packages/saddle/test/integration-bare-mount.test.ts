// The bare mount point ('/rpc2' for an app at '/rpc2'): every non-RPC request gets a 308 to '/rpc2/',
// including a JSON POST that is not JSON-RPC; XML-RPC and JSON-RPC POSTs are answered there directly
// (Python's xmlrpc.client does not follow redirects).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Saddle } from '@skitai/saddle'
import { type Client, clients, closeAll } from './helpers.js'

let list: Client[]

before(async () => {
  const app = new Saddle(import.meta.url)
  app.route('/', (_was, name = 'nobody') => `hello ${name}`, { methods: ['GET', 'POST'] })
  app.route('/add', (_was, a: number, b: number) => a + b)
  list = await clients(['/rpc2', app])
})

after(() => closeAll(list))

test('a JSON POST to the bare mount point that is not JSON-RPC is redirected with 308, query kept', async () => {
  for (const c of list) {
    const r = await c.post('/rpc2?x=1', { json: { name: 'kim' } })
    assert.equal(r.status, 308, `${c.kind}: ${r.text}`)
    assert.equal(r.headers.location, '/rpc2/?x=1', c.kind)
    // Following it (same method and body, as 308 requires) reaches the '/' route.
    const f = await c.post('/rpc2/', { json: { name: 'kim' } })
    assert.equal(f.status, 200, c.kind)
    assert.equal(f.text, 'hello kim')
  }
})

test('other requests to the bare mount point are redirected too', async () => {
  for (const c of list) {
    const g = await c.get('/rpc2')
    assert.equal(g.status, 308, c.kind)
    assert.equal(g.headers.location, '/rpc2/')
    const form = await c.post('/rpc2', { form: { name: 'lee' } })
    assert.equal(form.status, 308, c.kind)
  }
})

test('JSON-RPC and XML-RPC POSTs to the bare mount point are answered there, without a redirect', async () => {
  for (const c of list) {
    const j = await c.post('/rpc2', { json: { jsonrpc: '2.0', id: 7, method: 'add', params: [2, 3] } })
    assert.equal(j.status, 200, `${c.kind}: ${j.text}`)
    assert.deepEqual(j.json(), { jsonrpc: '2.0', id: 7, result: 5 })
    const xml =
      '<?xml version="1.0"?><methodCall><methodName>add</methodName><params>' +
      '<param><value><int>4</int></value></param><param><value><int>5</int></value></param></params></methodCall>'
    const x = await c.post('/rpc2', { body: xml, headers: { 'content-type': 'text/xml' } })
    assert.equal(x.status, 200, `${c.kind}: ${x.text}`)
    assert.match(x.text, /<int>9<\/int>|<i4>9<\/i4>/)
  }
})
