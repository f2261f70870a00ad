/**
 * saddle README "XML-RPC and JSON-RPC" with the reference client: Python's xmlrpc.client against Saddle routes served by a real
 * Engine on 127.0.0.1. The routes are plain Saddle handlers; nothing in them knows about XML-RPC.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Engine } from '@skitai/engine'
import { mainApp, mountedApp, python, serve } from './rpc-fixture.js'

describe("Python's xmlrpc.client against Saddle routes", () => {
  let engine: Engine
  let url = ''
  let mounted: Engine
  let mountedUrl = ''
  before(async () => {
    ;({ engine, url } = await serve([['/', mainApp()]]))
    ;({ engine: mounted, url: mountedUrl } = await serve([
      ['/', mainApp()],
      ['/rpc2', mountedApp()],
    ]))
  })
  after(async () => {
    await engine.close(1)
    await mounted.close(1)
  })

  test('ServerProxy(url).add(4, 10) == 14, and a dotted method math.add', async () => {
    const out = await python(
      url,
      `p = x.ServerProxy(URL + '/')
print(json.dumps(p.add(4, 10)))
print(json.dumps(p.math.add(1.5, 2)))
print(json.dumps(p.math.add('a', 'b')))
print(json.dumps(p.greet('Ann')))
print(json.dumps(p.items()))`,
    )
    assert.deepEqual(out, [14, 3.5, 'ab', 'Hello, Ann!', ['a', 'b']])
  })

  test('an app mounted at /rpc2, and an app at / with the route /rpc2/add', async () => {
    const out = await python(
      mountedUrl,
      `print(json.dumps(x.ServerProxy(URL + '/rpc2').add(1, 2)))
print(json.dumps(x.ServerProxy(URL + '/rpc2/').add(1, 2)))`,
    )
    assert.deepEqual(out, ['mounted app at /rpc2: 3', 'mounted app at /rpc2: 3'])
    const root = await python(
      url,
      `p = x.ServerProxy(URL + '/rpc2')
print(json.dumps(p.add(1, 2)))
print(json.dumps(p.math.add(1, 2)))
print(json.dumps(x.ServerProxy(URL + '/rpc2/').add(5, 5)))`,
    )
    assert.deepEqual(root, [
      'rpc2/add of the root app: 3', // posted path first: /rpc2 + /add
      3, // then from the mount point: /math/add
      'rpc2/add of the root app: 10',
    ])
  })

  test('faults carry the HTTP status the call would have had, with HTTP 200 and no stack', async () => {
    const out = await python(
      url,
      `p = x.ServerProxy(URL + '/')
def fault(f, *a):
    try:
        f(*a)
        print(json.dumps('no fault'))
    except x.Fault as e:
        print(json.dumps([e.faultCode, e.faultString]))
fault(p.nope)
fault(p.add, 1)
fault(p.add, 1, 2, 3)
fault(p.boom)
fault(p.private)
fault(p.teapot)
fault(p.only_get)
fault(getattr(p, 'only-get'))
fault(getattr(p, '../etc/passwd'))`,
    )
    assert.deepEqual(out[0], [404, 'no such method: nope'])
    assert.deepEqual(out[1], [400, 'missing parameter: num2'])
    assert.equal(out[2][0], 400)
    assert.deepEqual(out[3], [500, 'kaboom'], 'the message only: no stack outside debug mode')
    assert.deepEqual(out[4], [401, 'Unauthorized: credentials required'], "the HTTP error's detail is kept")
    assert.deepEqual(out[5], [418, 'I am a teapot'])
    assert.deepEqual(out[6], [404, 'no such method: only_get'])
    assert.equal(out[7][0], 405)
    assert.match(out[7][1], /does not accept POST/)
    assert.deepEqual(out[8], [404, 'no such method: ../etc/passwd'])
  })

  test('an auth-protected route answers with credentials and faults 401 without', async () => {
    const out = await python(
      url,
      `host = URL.replace('http://', '')
print(json.dumps(x.ServerProxy('http://admin:secret@' + host + '/').private()))
try:
    x.ServerProxy('http://admin:wrong@' + host + '/').private()
except x.Fault as e:
    print(json.dumps(e.faultCode))`,
    )
    assert.deepEqual(out, ['hello admin', 401])
  })

  test('the stack is in the faultString only in debug mode', async () => {
    const app = mainApp()
    app.debug = true
    const { engine: e, url: u } = await serve([['/', app]])
    try {
      const out = await python(
        u,
        `try:
    x.ServerProxy(URL + '/').boom()
except x.Fault as e:
    print(json.dumps([e.faultCode, e.faultString]))`,
      )
      assert.equal(out[0][0], 500)
      assert.match(out[0][1], /^kaboom\nError: kaboom\n\s+at /)
    } finally {
      await e.close(1)
    }
  })

  test('system.multicall with one failing call', async () => {
    const out = await python(
      url,
      `p = x.ServerProxy(URL + '/')
m = x.MultiCall(p)
m.add(1, 2)
m.boom()
m.math.add(3, 4)
m.nope()
res = m()
for i in range(4):
    try:
        print(json.dumps(res[i]))
    except x.Fault as e:
        print(json.dumps(['fault', e.faultCode, e.faultString]))`,
    )
    assert.deepEqual(out, [3, ['fault', 500, 'kaboom'], 7, ['fault', 404, 'no such method: nope']])
  })

  test('system.listMethods and system.methodHelp', async () => {
    const out = await python(
      url,
      `p = x.ServerProxy(URL + '/')
print(json.dumps(p.system.listMethods()))
print(json.dumps(p.system.methodHelp('add')))
print(json.dumps(p.system.methodHelp('math.add')))
print(json.dumps(x.ServerProxy(URL + '/rpc2').system.listMethods()))`,
    )
    const [methods, addHelp, mathHelp, underRpc2] = out
    for (const m of ['add', 'math.add', 'rpc2.add', 'boom', 'items', 'system.listMethods', 'system.multicall']) {
      assert.ok(methods.includes(m), `${m} is listed`)
    }
    assert.ok(!methods.includes('only-get'), 'a GET-only route is not an RPC method')
    assert.ok(!methods.some((m: string) => m.startsWith('hello')), 'a route with URL variables is not listed')
    assert.equal(addHelp, 'Adds two numbers: add(num1, num2).')
    assert.equal(mathHelp, 'math.add(a, b): a + b, typed by the caller.')
    assert.ok(underRpc2.includes('add'), 'at /rpc2, /rpc2/add is listed by its short name')
    assert.ok(!underRpc2.includes('rpc2.add'))
  })

  test('a struct, a date, a binary and a nil round-trip with their types', async () => {
    const out = await python(
      url,
      `p = x.ServerProxy(URL + '/', allow_none=True, use_builtin_types=True)
when = datetime.datetime(2024, 1, 2, 3, 4, 5)
sent = {'n': 14, 'f': 1.5, 's': 'x < y & z', 't': True, 'when': when, 'bin': b'\\x00\\x01\\xff', 'nil': None, 'list': [1, [2, 'three']], 'nested': {'a': {'b': 'c'}}}
back = p.echo(sent)
print(json.dumps(back == sent))
print(json.dumps(p.describe(sent)))
print(json.dumps([type(back['when']).__name__, back['when'].isoformat(), type(back['bin']).__name__, back['nil']]))
e = p.everything()
print(json.dumps([e['n'], e['f'], e['t'], e['s'], e['d'].isoformat(), list(e['b']), e['nil'], e['list']]))
print(json.dumps(p.nothing()))`,
    )
    assert.equal(out[0], true, 'the echoed struct equals what was sent')
    const seen = out[1]
    assert.equal(seen.type, 'struct')
    assert.equal(seen.nullPrototype, true)
    assert.deepEqual(seen.members.n, { type: 'number', value: 14 })
    assert.deepEqual(seen.members.f, { type: 'number', value: 1.5 })
    assert.deepEqual(seen.members.t, { type: 'boolean', value: true })
    assert.deepEqual(seen.members.when, { type: 'Date', iso: '2024-01-02T03:04:05.000Z' })
    assert.deepEqual(seen.members.bin, { type: 'Buffer', hex: '0001ff' })
    assert.deepEqual(seen.members.nil, { type: 'null' })
    assert.equal(seen.members.list.type, 'array')
    assert.deepEqual(out[2], ['datetime', '2024-01-02T03:04:05', 'bytes', null])
    assert.deepEqual(out[3], [14, 1.5, true, 'x < y & z', '2024-01-02T03:04:05', [0, 1, 2, 255], null, [1, 'two', [3]]])
    assert.equal(out[4], null, 'undefined comes back as nil')
  })
})
