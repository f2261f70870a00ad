/**
 * `was.rpc` replies go through the shared safe decoder: zone-less dates are UTC whatever this machine's
 * zone (checked in a child process started with TZ=America/New_York, since Node reads TZ once at start),
 * dates are sent as UTC, `__proto__` members and DOCTYPEs are refused, `<i8>` beyond 2^53 is a BigInt.
 * Peers: Python's xmlrpc.server (real process) and a plain Node listener for replies Python cannot write.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import {
  decodeXmlRpcReply,
  encodeXmlRpcCall,
  FAIL_DECODE,
  PROTO_HTTP,
  registerAlias,
  unregisterAlias,
  Was,
  XMLRPC_MAX_REPLY_DEPTH,
  XmlRpcDecodeError,
} from '@skitai/was'
import { type Backend, backend, readBody } from './helpers.ts'

const run = promisify(execFile)

const PY = `
import datetime
from xmlrpc.server import SimpleXMLRPCServer
s = SimpleXMLRPCServer(('127.0.0.1', 0), logRequests=False, allow_none=True, use_builtin_types=True)
s.register_function(lambda: datetime.datetime(2024, 1, 2, 3, 4, 5), 'naive')
s.register_function(lambda d: d.isoformat(), 'stamp')
s.register_function(lambda: {'__proto__': {'admin': True}, 'a': 1}, 'proto')
s.register_function(lambda: {'constructor': 'c', 'n': [1, {'x': None}]}, 'plain')
print(s.server_address[1], flush=True)
s.serve_forever()
`

const reply = (value: string) =>
  `<?xml version="1.0"?><methodResponse><params><param><value>${value}</value></param></params></methodResponse>`

let py: ChildProcess
let pyPort = 0
let xml: Backend
before(async () => {
  py = spawn('python3', ['-c', PY], { stdio: ['ignore', 'pipe', 'inherit'] })
  pyPort = await new Promise<number>((resolve, reject) => {
    py.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
    py.once('exit', (c) => reject(new Error(`python exited ${c}`)))
  })
  registerAlias('@pyreply', PROTO_HTTP, `127.0.0.1:${pyPort}`)
  // Answers each method with a fixed, hand-written reply body.
  const bodies: Record<string, string> = {
    big: reply('<i8>9007199254740993</i8>'),
    doctype: `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>${reply('<string>&e;</string>')}`,
    deep: reply(
      `${'<array><data><value>'.repeat(XMLRPC_MAX_REPLY_DEPTH + 1)}1${'</value></data></array>'.repeat(XMLRPC_MAX_REPLY_DEPTH + 1)}`,
    ),
    sloppy: reply('<int>12abc</int>'),
    truncated: reply('<int>1</int>').slice(0, -30),
  }
  xml = await backend(async (req, res) => {
    const call = (await readBody(req)).toString()
    const method = /<methodName>([^<]*)<\/methodName>/.exec(call)?.[1] ?? ''
    res.writeHead(200, { 'content-type': 'text/xml' })
    res.end(bodies[method] ?? '')
  })
  registerAlias('@xmlreply', PROTO_HTTP, `127.0.0.1:${xml.port}`)
})

after(async () => {
  await unregisterAlias('@pyreply')
  await unregisterAlias('@xmlreply')
  await xml.close()
  py.kill()
})

describe('was.rpc on a machine whose local zone is not UTC', () => {
  test('a zone-less dateTime reply is UTC, and a Date is sent as UTC (child process, TZ=America/New_York)', async () => {
    const script = `
      import { Was } from '@skitai/was'
      const was = new Was('g', 1000)
      const rpc = was.rpc('http://127.0.0.1:${pyPort}/RPC2')
      const naive = await rpc.naive().fetch(5)
      const stamp = await rpc.stamp(new Date('2024-05-06T07:08:09Z')).fetch(5)
      console.log(JSON.stringify({ offset: new Date(2024, 0, 2).getTimezoneOffset(), naive: naive.toISOString(), stamp }))
    `
    const { stdout } = await run(
      process.execPath,
      ['--conditions=skitai-source', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: fileURLToPath(new URL('.', import.meta.url)), env: { ...process.env, TZ: 'America/New_York' } },
    )
    const out = JSON.parse(stdout.trim().split('\n').pop()!)
    assert.equal(out.offset, 300, 'the child runs 5 hours behind UTC in January, so local-time decoding would show')
    assert.equal(out.naive, '2024-01-02T03:04:05.000Z', "Python's naive datetime(2024, 1, 2, 3, 4, 5) read as UTC")
    assert.equal(out.stamp, '2024-05-06T07:08:09', 'the Date reached Python as its UTC time')
  })
})

describe('was.rpc decodes replies safely', () => {
  test('a __proto__ struct member is a decode failure that pollutes nothing', async () => {
    const was = new Was('g', 1000)
    const r = await was.rpc('@pyreply/RPC2').proto().getwait(5)
    assert.equal(r.status, 2)
    assert.equal(r.status_code, FAIL_DECODE)
    assert.match(r.reason ?? '', /invalid XML-RPC response: struct member name __proto__ is not allowed/)
    assert.equal(({} as any).admin, undefined)
  })

  test('structs are plain objects that compare equal to literals; constructor is plain data', async () => {
    const was = new Was('g', 1000)
    const v = await was.rpc('@pyreply/RPC2').plain().fetch(5)
    assert.deepEqual(v, { constructor: 'c', n: [1, { x: null }] })
  })

  test('<i8> beyond 2^53 is an exact BigInt', async () => {
    const was = new Was('g', 1000)
    assert.equal(await was.rpc('@xmlreply/rpc').big().fetch(5), 9007199254740993n)
  })

  for (const [method, re] of [
    ['doctype', /DOCTYPE and ENTITY declarations are not accepted/],
    ['deep', new RegExp(`nested deeper than ${XMLRPC_MAX_REPLY_DEPTH}`)],
    ['sloppy', /expected an integer in <int> but got '12abc'/],
    ['truncated', /invalid XML-RPC response: malformed XML-RPC response/],
  ] as const) {
    test(`a reply that is ${method} fails to decode with a message naming the problem`, async () => {
      const was = new Was('g', 1000)
      const r = await was.rpc('@xmlreply/rpc')[method]!().getwait(5)
      assert.equal(r.status, 2)
      assert.equal(r.status_code, FAIL_DECODE)
      assert.match(r.reason ?? '', re)
    })
  }
})

describe('decodeXmlRpcReply and encodeXmlRpcCall', () => {
  test('faults, and documents that are not a single-valued response', () => {
    const fault = decodeXmlRpcReply(
      '<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>4</int></value></member>' +
        '<member><name>faultString</name><value>too big</value></member></struct></value></fault></methodResponse>',
    )
    assert.deepEqual(fault, { fault: { faultCode: 4, faultString: 'too big' }, value: undefined })
    const two =
      '<methodResponse><params><param><value>1</value></param><param><value>2</value></param></params></methodResponse>'
    assert.throws(() => decodeXmlRpcReply(two), /more than one param/)
    assert.throws(
      () => decodeXmlRpcReply('<methodCall><methodName>x</methodName><params></params></methodCall>'),
      (e: Error) => e instanceof XmlRpcDecodeError && /not an XML-RPC <methodResponse>/.test(e.message),
    )
    assert.throws(() => decodeXmlRpcReply('<methodResponse><fault><value>x</value></fault></methodResponse>'), /fault/)
  })

  test('calls carry UTC dates and <i8>, and Python reads them back', async () => {
    const body = encodeXmlRpcCall('m', [new Date('2024-05-06T07:08:09Z'), 2n ** 62n, undefined, { k: [1] }], 'utf8')
    assert.match(body, /<dateTime.iso8601>20240506T07:08:09<\/dateTime.iso8601>/)
    const { stdout } = await run('python3', [
      '-c',
      'import sys, xmlrpc.client as x; print(x.loads(sys.argv[1], use_builtin_types=True))',
      body,
    ])
    assert.equal(
      stdout.trim(),
      "((datetime.datetime(2024, 5, 6, 7, 8, 9), 4611686018427387904, None, {'k': [1]}), 'm')",
    )
  })
})
