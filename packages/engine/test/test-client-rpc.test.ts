/**
 * The test client's `cli.xmlrpc(path)` / `cli.jsonrpc(path)` against servers that are not Saddle: Python's
 * own SimpleXMLRPCServer (a real process), and a plain Node listener answering JSON-RPC, in process.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { readBody, RpcFault, RpcHttpError, testClient } from '@skitai/engine'

const PY_SERVER = `
import sys, datetime, xmlrpc.client
from xmlrpc.server import SimpleXMLRPCServer
s = SimpleXMLRPCServer(('127.0.0.1', 0), logRequests=False, allow_none=True, use_builtin_types=True)
s.register_introspection_functions()
s.register_multicall_functions()
s.register_function(lambda a, b: a + b, 'add')
s.register_function(lambda a, b: a * b, 'math.mul')
s.register_function(lambda v: v, 'echo')
def fail():
    raise xmlrpc.client.Fault(418, 'teapot')
s.register_function(fail, 'fail')
s.register_function(lambda: datetime.datetime(2024, 1, 2, 3, 4, 5), 'when')
s.register_function(lambda: {'__proto__': {'admin': True}}, 'proto')
print(s.server_address[1], flush=True)
s.serve_forever()
`

describe('cli.xmlrpc against Python SimpleXMLRPCServer', () => {
  let py: ChildProcess
  let port = 0
  before(async () => {
    py = spawn('python3', ['-c', PY_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] })
    port = await new Promise<number>((resolve, reject) => {
      py.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
      py.once('exit', (code) => reject(new Error(`python exited ${code}`)))
    })
  })
  after(() => {
    py.kill()
  })

  test('calls, dotted names by property chain, typed values', async () => {
    const cli = testClient({ port })
    try {
      const rpc = cli.xmlrpc('/RPC2')
      assert.equal(await rpc.add(4, 10), 14)
      assert.equal(await rpc.math.mul(6, 7), 42)
      assert.deepEqual(await rpc.echo({ a: [1, 'x', true], n: null }), { a: [1, 'x', true], n: null })
      const d = new Date('2024-05-06T07:08:09Z')
      assert.equal((await rpc.echo(d)).getTime(), d.getTime(), 'dates go and come back as UTC')
      assert.equal((await rpc.when()).toISOString(), '2024-01-02T03:04:05.000Z')
      assert.deepEqual([...(await rpc.echo(Buffer.from([1, 2, 3])))], [1, 2, 3])
      assert.ok((await rpc.system.listMethods()).includes('math.mul'))
    } finally {
      await cli.close()
    }
  })

  test('a fault is thrown as RpcFault with faultCode and faultString', async () => {
    const cli = testClient({ port })
    try {
      const err = await cli
        .xmlrpc('/RPC2')
        .fail()
        .catch((e: unknown) => e)
      assert.ok(err instanceof RpcFault)
      assert.equal(err.faultCode, 418)
      assert.equal(err.faultString, 'teapot')
      const missing = await cli
        .xmlrpc('/RPC2')
        .nope()
        .catch((e: unknown) => e)
      assert.ok(missing instanceof RpcFault)
      assert.match(missing.faultString, /nope/)
    } finally {
      await cli.close()
    }
  })

  test('replies are decoded safely: a __proto__ member is refused', async () => {
    const cli = testClient({ port })
    try {
      const rpc = cli.xmlrpc('/RPC2')
      await assert.rejects(rpc.proto(), /struct member name __proto__ is not allowed/)
      assert.equal(({} as any).admin, undefined)
    } finally {
      await cli.close()
    }
  })

  test('awaiting a proxy is not a call, and the root proxy needs a method name', async () => {
    const cli = testClient({ port })
    try {
      const rpc = cli.xmlrpc('/RPC2')
      assert.equal((rpc as any).then, undefined)
      await assert.rejects((rpc as any)(), /name a method/)
    } finally {
      await cli.close()
    }
  })
})

/** A minimal JSON-RPC 2.0 responder as a plain Node listener. */
async function jsonRpcListener(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    res.writeHead(405).end()
    return
  }
  const call = JSON.parse((await readBody(req, 1 << 20)).toString())
  const reply =
    call.method === 'math.add'
      ? { jsonrpc: '2.0', result: call.params[0] + call.params[1], id: call.id }
      : call.method === 'greet'
        ? { jsonrpc: '2.0', result: `hi ${call.params.name}`, id: call.id }
        : { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found', data: { status: 404 } }, id: call.id }
  const body = JSON.stringify(reply)
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

describe('cli.jsonrpc against a plain listener, in process', () => {
  test('by position, by name, errors, and non-RPC answers', async () => {
    const cli = testClient(jsonRpcListener)
    assert.equal(await cli.jsonrpc('/').math.add(2, 3), 5)
    assert.equal(await cli.jsonrpc('/', { byName: true }).greet({ name: 'Ann' }), 'hi Ann')
    const err = await cli
      .jsonrpc('/')
      .nope()
      .catch((e: unknown) => e)
    assert.ok(err instanceof RpcFault)
    assert.equal(err.faultCode, -32601)
    assert.equal(err.status, 404)
    const notRpc = testClient((_req: IncomingMessage, res: ServerResponse) => void res.writeHead(404).end('no'))
    const e2 = await notRpc
      .jsonrpc('/')
      .x()
      .catch((e: unknown) => e)
    assert.ok(e2 instanceof RpcHttpError)
    assert.equal(e2.response.status, 404)
  })
})
