/**
 * saddle README "XML-RPC and JSON-RPC" with the other clients: the `xmlrpc` npm client (its createClient), the test client's
 * `cli.xmlrpc`/`cli.jsonrpc` (in process and over a socket), and JSON-RPC 2.0 by hand over undici.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type Engine, RpcFault, RpcHttpError, testClient } from '@skitai/engine'
import { request } from 'undici'
import xmlrpc from 'xmlrpc'
import { mainApp, mountedApp, serve } from './rpc-fixture.js'

function npmCall(port: number, path: string, method: string, params: unknown[], headers?: Record<string, string>) {
  const client = xmlrpc.createClient({ host: '127.0.0.1', port, path, headers })
  return new Promise<any>((resolve, reject) => {
    client.methodCall(method, params, (err: any, value: unknown) => (err ? reject(err) : resolve(value)))
  })
}

describe('the xmlrpc npm client', () => {
  let engine: Engine
  let port = 0
  before(async () => {
    ;({ engine, port } = await serve([
      ['/', mainApp()],
      ['/rpc2', mountedApp()],
    ]))
  })
  after(() => engine.close(1))

  test('calls routes by name, dotted names and mounted apps', async () => {
    assert.equal(await npmCall(port, '/', 'add', [4, 10]), 14)
    assert.equal(await npmCall(port, '/', 'math.add', [1.5, 2]), 3.5)
    assert.equal(await npmCall(port, '/rpc2', 'add', [1, 2]), 'mounted app at /rpc2: 3')
    // A call posted to '/' belongs to the app mounted at '/': method names never reach into another mount.
    assert.equal(await npmCall(port, '/', 'rpc2.add', [1, 2]), 'rpc2/add of the root app: 3')
  })

  test('gets faults with the HTTP status as faultCode', async () => {
    const fault = (method: string, params: unknown[], headers?: Record<string, string>) =>
      npmCall(port, '/', method, params, headers).then(
        () => assert.fail('expected a fault'),
        (e) => [e.faultCode, e.faultString],
      )
    assert.deepEqual(await fault('nope', []), [404, 'no such method: nope'])
    assert.deepEqual(await fault('add', [1]), [400, 'missing parameter: num2'])
    assert.deepEqual(await fault('boom', []), [500, 'kaboom'])
    assert.equal((await fault('private', []))[0], 401)
    assert.deepEqual(await fault('add', [1, 2], { 'X-Banned': '1' }), [403, 'you are banned'])
  })

  test('round-trips a struct with a date, a binary and a nil', async () => {
    const sent = { when: new Date('2024-01-02T03:04:05Z'), bin: Buffer.from([9, 8, 7]), nil: null, list: [1, 'a'] }
    const back = await npmCall(port, '/', 'echo', [sent])
    assert.equal(back.when.getTime(), sent.when.getTime())
    assert.deepEqual([...back.bin], [9, 8, 7])
    assert.equal(back.nil, null)
    assert.deepEqual(back.list, [1, 'a'])
    const seen = await npmCall(port, '/', 'describe', [sent])
    assert.deepEqual(seen.members.when, { type: 'Date', iso: '2024-01-02T03:04:05.000Z' })
    assert.deepEqual(seen.members.bin, { type: 'Buffer', hex: '090807' })
  })

  test('system.multicall with one failing call', async () => {
    const r = await npmCall(port, '/', 'system.multicall', [
      [
        { methodName: 'add', params: [1, 2] },
        { methodName: 'add', params: [1] },
        { methodName: 'system.multicall', params: [[]] },
        { methodName: 'math.add', params: [3, 4] },
      ],
    ])
    assert.deepEqual(r, [
      [3],
      { faultCode: 400, faultString: 'missing parameter: num2' },
      { faultCode: 400, faultString: 'system.multicall may not be nested' },
      [7],
    ])
  })
})

describe('cli.xmlrpc and cli.jsonrpc', () => {
  let engine: Engine
  let port = 0
  before(async () => {
    ;({ engine, port } = await serve([['/', mainApp()]]))
  })
  after(() => engine.close(1))

  for (const kind of ['in process', 'over a socket'] as const) {
    test(`XML-RPC ${kind}: values, dotted names, faults`, async () => {
      const cli = kind === 'in process' ? testClient(mainApp()) : testClient({ port })
      try {
        const rpc = cli.xmlrpc('/')
        assert.equal(await rpc.add(4, 10), 14)
        assert.equal(await rpc.math.add(1, 2), 3)
        assert.equal(await cli.xmlrpc('/rpc2').add(1, 2), 'rpc2/add of the root app: 3')
        const all = await rpc.everything()
        assert.equal(all.d.toISOString(), '2024-01-02T03:04:05.000Z')
        assert.deepEqual([...all.b], [0, 1, 2, 255])
        assert.equal(all.nil, null)
        assert.equal(await rpc.echo(2n ** 62n), 2n ** 62n, 'a BigInt goes as <i8> and comes back exact')
        assert.equal(await rpc.nothing(), null)
        await assert.rejects(rpc.nope(), (e: RpcFault) => e instanceof RpcFault && e.faultCode === 404)
        await assert.rejects(rpc.boom(), (e: RpcFault) => e.faultCode === 500 && e.faultString === 'kaboom')
        await assert.rejects(rpc.private(), (e: RpcFault) => e.faultCode === 401)
        const authed = cli.xmlrpc('/', {
          headers: { authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}` },
        })
        assert.equal(await authed.private(), 'hello admin')
        assert.ok((await rpc.system.listMethods()).includes('math.add'))
      } finally {
        await cli.close()
      }
    })

    test(`JSON-RPC ${kind}: by position, by name, errors`, async () => {
      const cli = kind === 'in process' ? testClient(mainApp()) : testClient({ port })
      try {
        const rpc = cli.jsonrpc('/')
        assert.equal(await rpc.add(4, 10), 14)
        assert.equal(await rpc.math.add('a', 'b'), 'ab')
        assert.equal(await cli.jsonrpc('/', { byName: true }).greet({ name: 'Ann', greeting: 'Hi' }), 'Hi, Ann!')
        assert.equal(await cli.jsonrpc('/', { byName: true }).greet({ name: 'Ann' }), 'Hello, Ann!')
        const all = await rpc.everything()
        assert.equal(all.d, '2024-01-02T03:04:05.000Z')
        assert.equal(all.b, Buffer.from([0, 1, 2, 255]).toString('base64'), 'a Buffer result is base64 in JSON')
        await assert.rejects(rpc.nope(), (e: RpcFault) => e.faultCode === -32601 && e.status === 404)
        await assert.rejects(rpc.add(1), (e: RpcFault) => e.faultCode === -32602 && e.status === 400)
        await assert.rejects(
          cli.jsonrpc('/', { byName: true }).greet({ nom: 'x', name: 'y' }),
          (e: RpcFault) => e.faultCode === -32602 && /unexpected parameter: nom/.test(e.faultString),
        )
        await assert.rejects(rpc.boom(), (e: RpcFault) => e.faultCode === -32603 && e.status === 500)
        await assert.rejects(rpc.teapot(), (e: RpcFault) => e.faultCode === -32000 && e.status === 418)
        await assert.rejects(rpc.private(), (e: RpcFault) => e.faultCode === -32000 && e.status === 401)
      } finally {
        await cli.close()
      }
    })
  }

  test('a non-RPC answer is an RpcHttpError holding the response', async () => {
    const big = testClient(mainApp())
    const err = await big
      .xmlrpc('/')
      .echo('x'.repeat(6 * 1024 * 1024))
      .catch((e) => e)
    assert.ok(err instanceof RpcHttpError)
    assert.equal(err.response.status, 413)
  })
})

describe('JSON-RPC 2.0 on the wire', () => {
  let engine: Engine
  let url = ''
  before(async () => {
    ;({ engine, url } = await serve([['/', mainApp()]]))
  })
  after(() => engine.close(1))

  async function post(body: string, contentType = 'application/json') {
    const r = await request(`${url}/rpc`, { method: 'POST', headers: { 'content-type': contentType }, body })
    const text = await r.body.text()
    return { status: r.statusCode, type: String(r.headers['content-type'] ?? ''), text }
  }

  test('a batch with a notification, a by-name call, failures and an invalid member', async () => {
    const r = await post(
      JSON.stringify([
        { jsonrpc: '2.0', method: 'add', params: [4, 10], id: 1 },
        { jsonrpc: '2.0', method: 'greet', params: { name: 'Bo' }, id: 'b' },
        { jsonrpc: '2.0', method: 'add', params: [1, 1] },
        { jsonrpc: '2.0', method: 'nope', id: 3 },
        { jsonrpc: '2.0', method: 'boom', id: 4 },
        { jsonrpc: '1.0', method: 'add', id: 5 },
      ]),
    )
    assert.equal(r.status, 200)
    assert.match(r.type, /^application\/json/)
    const replies = JSON.parse(r.text)
    assert.equal(replies.length, 5, 'no reply for the notification')
    assert.deepEqual(replies[0], { jsonrpc: '2.0', result: 14, id: 1 })
    assert.deepEqual(replies[1], { jsonrpc: '2.0', result: 'Hello, Bo!', id: 'b' })
    assert.deepEqual(replies[2], {
      jsonrpc: '2.0',
      error: { code: -32601, message: 'no such method: nope', data: { status: 404 } },
      id: 3,
    })
    assert.deepEqual(replies[3].error, { code: -32603, message: 'kaboom', data: { status: 500 } })
    assert.equal(replies[4].error.code, -32600)
    assert.equal(replies[4].id, 5)
  })

  test('the notification in a batch did run', async () => {
    const app = mainApp()
    let ran = 0
    app.route('/count', (_was) => ++ran)
    const { engine: e, url: u } = await serve([['/', app]])
    try {
      const r = await request(`${u}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json-rpc' },
        body: JSON.stringify([
          { jsonrpc: '2.0', method: 'count' },
          { jsonrpc: '2.0', method: 'count' },
        ]),
      })
      assert.equal(r.statusCode, 204, 'only notifications: nothing is returned')
      assert.equal(await r.body.text(), '')
      assert.equal(ran, 2)
    } finally {
      await e.close(1)
    }
  })

  test('parse error -32700, empty batch -32600, unknown method -32601', async () => {
    const parse = await post('{"jsonrpc": "2.0", "method": "add", "params": [1, 2', 'application/json-rpc')
    assert.equal(parse.status, 200)
    const p = JSON.parse(parse.text)
    assert.equal(p.error.code, -32700)
    assert.equal(p.id, null)
    const parse2 = await post('{"jsonrpc": "2.0", "method": "add", "params": [1, ')
    assert.equal(JSON.parse(parse2.text).error.code, -32700, 'also as application/json when it says jsonrpc 2.0')
    const notRpc = await post('{"num1": 4, ')
    assert.equal(notRpc.status, 400, 'broken JSON that is not JSON-RPC is an ordinary 400')
    const empty = JSON.parse((await post('[]', 'application/json-rpc')).text)
    assert.equal(empty.error.code, -32600)
    const unknown = JSON.parse((await post('{"jsonrpc":"2.0","method":"nope","id":7}')).text)
    assert.deepEqual(unknown.error, { code: -32601, message: 'no such method: nope', data: { status: 404 } })
    assert.equal(unknown.id, 7)
  })

  test('an application/json body that is not JSON-RPC is an ordinary request', async () => {
    const r = await request(`${url}/add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ num1: 4, num2: 10 }),
    })
    assert.equal(r.statusCode, 200)
    assert.equal(await r.body.text(), '14')
    const rpcLike = await request(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: { jsonrpc: '2.0' } }),
    })
    assert.deepEqual(await rpcLike.body.json(), { jsonrpc: '2.0' })
  })

  test('__proto__ in by-name params is refused and pollutes nothing', async () => {
    const r = await post(
      '{"jsonrpc":"2.0","method":"echo","params":{"__proto__":{"polluted":1}},"id":1}',
      'application/json-rpc',
    )
    assert.equal(JSON.parse(r.text).error.code, -32600)
    assert.equal(({} as any).polluted, undefined)
  })
})

describe('sessions and cookies over XML-RPC', () => {
  test('a session set by one call is read by the next, through the cookie', async () => {
    const app = mainApp()
    app.securekey = 'a-random-test-key-of-at-least-32-chars!'
    app.route('/login', (was, user) => {
      was.session.set('user', user)
      was.cookie.set('theme', 'dark')
      return true
    })
    app.route('/whoami', (was) => ({ user: was.session.get('user') ?? null, theme: was.cookie.get('theme') ?? null }))
    const { engine, url } = await serve([['/', app]])
    try {
      const call = (method: string, params: string, cookie?: string) =>
        request(`${url}/`, {
          method: 'POST',
          headers: { 'content-type': 'text/xml', ...(cookie ? { cookie } : {}) },
          body: `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params}</params></methodCall>`,
        })
      const login = await call('login', '<param><value>ann</value></param>')
      assert.equal(login.statusCode, 200)
      assert.match(await login.body.text(), /<boolean>1<\/boolean>/)
      const setCookie = ([] as string[]).concat(login.headers['set-cookie'] ?? [])
      assert.ok(
        setCookie.some((c) => c.startsWith('theme=dark')),
        'the cookie set in the handler is sent',
      )
      const jar = setCookie.map((c) => c.split(';')[0]).join('; ')
      const who = await call('whoami', '', jar)
      const text = await who.body.text()
      assert.match(text, /<name>user<\/name><value><string>ann<\/string>/)
      assert.match(text, /<name>theme<\/name><value><string>dark<\/string>/)
      const anon = await (await call('whoami', '')).body.text()
      assert.match(anon, /<name>user<\/name><value><nil\/>/)
    } finally {
      await engine.close(1)
    }
  })
})

describe('app-wide authentication', () => {
  test('is checked before the call is read: HTTP 401 with a challenge, then calls work with credentials', async () => {
    const app = mainApp()
    app.authenticate = 'basic'
    const { engine, port } = await serve([['/', app]])
    const cli = testClient({ port })
    try {
      const err = await cli
        .xmlrpc('/')
        .add(1, 2)
        .catch((e: unknown) => e)
      assert.ok(err instanceof RpcHttpError)
      assert.equal(err.response.status, 401)
      assert.match(String(err.response.headers['www-authenticate']), /^Basic realm="rpc tests"/)
      const headers = { authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}` }
      assert.equal(await cli.xmlrpc('/', { headers }).add(1, 2), 3)
      assert.equal(await cli.jsonrpc('/', { headers }).add(1, 2), 3)
    } finally {
      await cli.close()
      await engine.close(1)
    }
  })
})
