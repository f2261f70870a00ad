import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { after, before, test } from 'node:test'
import { type HttpError, PROTO_HTTP, Was, registerAlias, unregisterAlias } from '@skitai/was'

// A real XML-RPC server: Python's xmlrpc.server, started by the test on a free port.
const PY = `
import sys
from xmlrpc.server import SimpleXMLRPCServer, SimpleXMLRPCRequestHandler
from xmlrpc.client import Fault
class H(SimpleXMLRPCRequestHandler):
    rpc_paths = ('/rpc2',)
    def log_message(self, *a): pass
s = SimpleXMLRPCServer(('127.0.0.1', 0), requestHandler=H, allow_none=True)
s.register_introspection_functions()
s.register_function(lambda a, b: a + b, 'add')
s.register_function(lambda a, b: a * b, 'math.mul')
s.register_function(lambda: {'name': 'x', 'list': [1, 2.5, 'three', True]}, 'info')
def boom(n):
    raise Fault(4, 'too big: %d' % n)
s.register_function(boom, 'boom')
print(s.server_address[1], flush=True)
s.serve_forever()
`

let py: ChildProcess
before(async () => {
  py = spawn('python3', ['-c', PY], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    py.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
    py.once('exit', (c) => reject(new Error(`python exited ${c}`)))
  })
  registerAlias('@pyrpc', PROTO_HTTP, `127.0.0.1:${port}`)
})

after(async () => {
  await unregisterAlias('@pyrpc')
  py.kill()
})

test("was.rpc('@pyrpc/rpc2').add(1, 2) returns 3 from Python's xmlrpc.server", async () => {
  const was = new Was('g', 1000)
  const r = await was.rpc('@pyrpc/rpc2').add(1, 2).getwait(5)
  assert.equal(r.status, 3)
  assert.equal(r.status_code, 200)
  assert.equal(r.data, 3)
  assert.equal(r.fault, null)
  assert.equal(await was.rpc('@pyrpc/rpc2').math.mul(6, 7).fetch(5), 42)
  assert.deepEqual(await was.rpc('@pyrpc/rpc2').info().fetch(5), { name: 'x', list: [1, 2.5, 'three', true] })
  const methods = (await was.rpc('@pyrpc/rpc2').system.listMethods().fetch(5)) as string[]
  assert.ok(methods.includes('add') && methods.includes('math.mul'))
})

test('a fault comes back as a clear fault result; fetch turns it into 502', async () => {
  const was = new Was('g', 1000)
  const r = await was.rpc('@pyrpc/rpc2').boom(7).getwait(5)
  assert.equal(r.status, 3)
  assert.deepEqual(r.fault, { code: 4, message: 'too big: 7' })
  assert.equal(r.data, null)
  assert.throws(() => r.reraise(), /fault 4: too big: 7/)
  await assert.rejects(
    was.rpc('@pyrpc/rpc2').boom(8).fetch(5),
    (e: HttpError) => e.status === 502 && /too big: 8/.test(e.detail ?? ''),
  )
  // An unknown method is a fault too (Python answers faultCode 1).
  const nf = await was.rpc('@pyrpc/rpc2').nosuch().getwait(5)
  assert.equal(nf.fault?.code, 1)
  assert.match(nf.fault?.message ?? '', /nosuch/)
})

test('rpc.map gives a ResultSet; a proxy without a method name is neither callable nor thenable', async () => {
  const was = new Was('g', 1000)
  const set = await was.rpc.map('@pyrpc/rpc2').add(2, 3).getswait(5)
  assert.deepEqual(set.data, [5])
  assert.throws(() => (was.rpc('@pyrpc/rpc2') as any)(), /call a remote method/)
  assert.equal((was.rpc('@pyrpc/rpc2') as any).then, undefined, 'not thenable')
})
