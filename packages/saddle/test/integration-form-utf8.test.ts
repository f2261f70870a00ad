// urlencoded form bodies are UTF-8: raw non-ASCII bytes and percent-encoded UTF-8 both arrive intact,
// as handler arguments and through was.request.form().
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Saddle } from '@skitai/saddle'
import { type Client, clients, closeAll } from './helpers.js'

let list: Client[]
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

before(async () => {
  const app = new Saddle(import.meta.url)
  app.route('/arg', { methods: ['POST'] }, (_was, name: string, city = '') => ({ name, city }))
  app.route('/form', { methods: ['POST'] }, async (was) => ({ form: await was.request.form() }))
  list = await clients(app)
})

after(() => closeAll(list))

test('a raw UTF-8 form body (name=café) is decoded as UTF-8', async () => {
  for (const c of list) {
    const body = Buffer.from('name=café&city=서울', 'utf8')
    const a = await c.post('/arg', { body, headers: FORM })
    assert.equal(a.status, 200, `${c.kind}: ${a.text}`)
    assert.deepEqual(a.json(), { name: 'café', city: '서울' }, c.kind)
    const f = await c.post('/form', { body, headers: FORM })
    assert.deepEqual(f.json().form, { name: 'café', city: '서울' }, c.kind)
  }
})

test('a percent-encoded UTF-8 form body (name=caf%C3%A9) is decoded the same way', async () => {
  for (const c of list) {
    const a = await c.post('/arg', { body: 'name=caf%C3%A9', headers: FORM })
    assert.equal(a.json().name, 'café', c.kind)
    const f = await c.post('/form', { form: { name: 'café', city: '서울' } })
    assert.deepEqual(f.json().form, { name: 'café', city: '서울' }, c.kind)
  }
})
