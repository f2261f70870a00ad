import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import {
  decodeXmlRpcCall,
  encodeXmlRpcCall,
  encodeXmlRpcFault,
  encodeXmlRpcResponse,
  XMLRPC_MAX_DEPTH,
  XmlRpcDecodeError,
} from '@skitai/was'
import { docFromSource } from '../../src/rpc/doc-comment.js'
import {
  INVALID_PARAMS,
  INVALID_REQUEST,
  METHOD_NOT_FOUND,
  PARSE_ERROR,
  answerJsonRpc,
  encodeJson,
  looksLikeJsonRpc,
  parseJsonRpcBody,
} from '../../src/rpc/jsonrpc.js'
import { candidatePaths, methodToPath, pathToMethod, postedBase } from '../../src/rpc/method-path.js'
import { detectRpc } from '../../src/rpc/index.js'

const run = promisify(execFile)

function call(method: string, paramsXml: string): string {
  return `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${paramsXml}</params></methodCall>`
}
const param = (v: string) => `<param><value>${v}</value></param>`

describe('XML-RPC decoding', () => {
  it('decodes every XML-RPC type into the JavaScript value', () => {
    const c = decodeXmlRpcCall(
      call(
        'math.add',
        param('<int>4</int>') +
          param('<i4>-7</i4>') +
          param('<i8>9007199254740993</i8>') +
          param('<i8>42</i8>') +
          param('<double>1.5</double>') +
          param('<boolean>1</boolean>') +
          param('<string>a &amp; b</string>') +
          param('untyped') +
          param('<dateTime.iso8601>20240102T03:04:05</dateTime.iso8601>') +
          param('<base64>aGVsbG8=</base64>') +
          param('<nil/>') +
          param(
            '<struct><member><name>x</name><value><array><data><value><int>1</int></value></data></array></value></member></struct>',
          ),
      ),
    )
    assert.equal(c.methodName, 'math.add')
    const [i, i4, big, small, d, b, s, u, date, bin, nil, struct] = c.params as any[]
    assert.equal(i, 4)
    assert.equal(i4, -7)
    assert.equal(big, 9007199254740993n, 'integers beyond the safe range stay exact as BigInt')
    assert.equal(small, 42, '<i8> in the safe range is a number, not a string')
    assert.equal(d, 1.5)
    assert.equal(b, true)
    assert.equal(s, 'a & b')
    assert.equal(u, 'untyped')
    assert.equal(date.toISOString(), '2024-01-02T03:04:05.000Z', 'a dateTime without a zone is UTC')
    assert.ok(Buffer.isBuffer(bin))
    assert.equal(bin.toString(), 'hello')
    assert.equal(nil, null)
    assert.equal(Object.getPrototypeOf(struct), null, 'structs are null-prototype objects')
    assert.deepEqual(struct.x, [1])
  })

  it('reads long strings and CDATA whole (sax flushes text past its 64 KiB buffer)', () => {
    const long = 'x'.repeat(1024 * 1024)
    const c = decodeXmlRpcCall(
      call('echo', param(`<string>${long}</string>`) + param(`<string><![CDATA[a<b&c]]></string>`)),
    )
    assert.equal((c.params[0] as string).length, long.length)
    assert.equal(c.params[1], 'a<b&c')
  })

  it('reads dates with a zone as given', () => {
    const c = decodeXmlRpcCall(call('d', param('<dateTime.iso8601>2024-01-02T03:04:05+09:00</dateTime.iso8601>')))
    assert.equal((c.params[0] as Date).toISOString(), '2024-01-01T18:04:05.000Z')
  })

  const bad: [string, string, RegExp][] = [
    ['not XML', 'garbage', /malformed|not an XML-RPC/],
    ['empty body', '', /malformed|not an XML-RPC/],
    ['truncated', '<methodCall><methodName>x</methodName><params><param><value><int>1</int>', /malformed/],
    ['sloppy integer', call('x', param('<int>12abc</int>')), /expected an integer/],
    ['bad double', call('x', param('<double>1.2.3</double>')), /expected a double/],
    ['bad boolean', call('x', param('<boolean>yes</boolean>')), /boolean/],
    ['bad date', call('x', param('<dateTime.iso8601>yesterday</dateTime.iso8601>')), /dateTime/],
    ['unknown tag', call('x', param('<script>1</script>')), /Unknown XML-RPC tag/],
    [
      'a response, not a call',
      '<methodResponse><params><param><value>1</value></param></params></methodResponse>',
      /not an XML-RPC <methodCall>/,
    ],
    ['no method name', '<methodCall><params></params></methodCall>', /no <methodName>/],
    [
      'struct member without a name',
      call('x', param('<struct><member><value>1</value></member></struct>')),
      /struct member/,
    ],
  ]
  for (const [label, body, re] of bad) {
    it(`refuses ${label} with an error naming the problem`, () => {
      assert.throws(
        () => decodeXmlRpcCall(body),
        (e: Error) => e instanceof XmlRpcDecodeError && re.test(e.message),
      )
    })
  }

  it('refuses DOCTYPE and ENTITY declarations before parsing, with no expansion', () => {
    const lol =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>' +
      call('echo', param('<string>&lol2;</string>'))
    assert.throws(() => decodeXmlRpcCall(lol), /DOCTYPE and ENTITY declarations are not accepted/)
    assert.throws(() => decodeXmlRpcCall(`<!doctype x SYSTEM "file:///etc/passwd">${call('x', '')}`), /DOCTYPE/)
  })

  it('refuses a __proto__ struct member and pollutes nothing', () => {
    const body = call(
      'x',
      param(
        '<struct><member><name>__proto__</name><value><struct><member><name>polluted</name><value>yes</value></member></struct></value></member></struct>',
      ),
    )
    assert.throws(() => decodeXmlRpcCall(body), /__proto__ is not allowed/)
    assert.equal(({} as any).polluted, undefined)
    // constructor/prototype members are plain data in a null-prototype struct
    const c = decodeXmlRpcCall(
      call('x', param('<struct><member><name>constructor</name><value>c</value></member></struct>')),
    )
    assert.equal((c.params[0] as any).constructor, 'c')
    assert.equal(({} as any).constructor, Object)
  })

  it('caps nesting depth: 10,000 nested arrays are refused without a stack overflow', () => {
    const n = 10_000
    const body = call('x', `<param>${'<value><array><data>'.repeat(n)}${'</data></array></value>'.repeat(n)}</param>`)
    assert.throws(() => decodeXmlRpcCall(body), new RegExp(`deeper than ${XMLRPC_MAX_DEPTH}`))
    const ok = call(
      'x',
      `<param>${'<value><array><data>'.repeat(XMLRPC_MAX_DEPTH)}${'</data></array></value>'.repeat(XMLRPC_MAX_DEPTH)}</param>`,
    )
    assert.equal(decodeXmlRpcCall(ok).params.length, 1)
  })
})

describe('XML-RPC encoding', () => {
  it('round-trips through its own decoder', () => {
    const value = {
      n: 14,
      f: 2.5,
      t: true,
      s: 'x < y & z',
      d: new Date('2024-05-06T07:08:09Z'),
      b: Buffer.from([0, 1, 2, 255]),
      nil: null,
      undef: undefined,
      big: 2n ** 62n,
      list: [1, 'two', [3]],
      skipped: () => 1,
    }
    const xml = encodeXmlRpcResponse(value)
    assert.match(xml, /<i8>4611686018427387904<\/i8>/)
    assert.match(xml, /<dateTime.iso8601>20240506T07:08:09<\/dateTime.iso8601>/)
    // the response body decodes like a call's params once rewrapped
    const back = decodeXmlRpcCall(
      xml
        .replace('<methodResponse>', '<methodCall><methodName>r</methodName>')
        .replace('</methodResponse>', '</methodCall>'),
    ).params[0] as any
    assert.equal(back.n, 14)
    assert.equal(back.f, 2.5)
    assert.equal(back.t, true)
    assert.equal(back.s, 'x < y & z')
    assert.equal(back.d.getTime(), value.d.getTime())
    assert.deepEqual([...back.b], [0, 1, 2, 255])
    assert.equal(back.nil, null)
    assert.equal(back.undef, null, 'undefined is sent as nil')
    assert.equal(back.big, 2n ** 62n)
    assert.deepEqual(back.list, [1, 'two', [3]])
    assert.equal('skipped' in back, false)
  })

  it('refuses cycles and invalid dates with an error instead of looping', () => {
    const a: any = { x: 1 }
    a.self = a
    assert.throws(() => encodeXmlRpcResponse(a), /cyclic/)
    assert.throws(() => encodeXmlRpcResponse(new Date('nope')), /invalid Date/)
  })

  it('writes faults and calls that Python reads', async () => {
    const fault = encodeXmlRpcFault(404, 'no such method: nope')
    const resp = encodeXmlRpcResponse({
      a: [1, 2.5, 'x'],
      when: new Date('2024-01-02T03:04:05Z'),
      bin: Buffer.from('hi'),
      n: null,
    })
    const req = encodeXmlRpcCall('math.add', [4, 10])
    const py = `
import sys, xmlrpc.client as x
fault, resp, req = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    x.loads(fault)
    print('no fault')
except x.Fault as f:
    print(f.faultCode, f.faultString)
(v,), _ = x.loads(resp, use_builtin_types=True)
print(v['a'], v['when'].isoformat(), v['bin'], v['n'])
print(x.loads(req))
`
    const { stdout } = await run('python3', ['-c', py, fault, resp, req])
    assert.deepEqual(stdout.trim().split('\n'), [
      '404 no such method: nope',
      "[1, 2.5, 'x'] 2024-01-02T03:04:05 b'hi' None",
      "((4, 10), 'math.add')",
    ])
  })
})

describe('method names and paths', () => {
  it('maps dotted names to paths and back', () => {
    assert.equal(methodToPath('add'), '/add')
    assert.equal(methodToPath('math.add'), '/math/add')
    assert.equal(methodToPath('../etc'), null)
    assert.equal(methodToPath('a..b'), null)
    assert.equal(methodToPath('a/b'), null)
    assert.equal(methodToPath(''), null)
    assert.equal(pathToMethod('/rpc2/math/add', '/rpc2'), 'math.add')
    assert.equal(pathToMethod('/math/add', ''), 'math.add')
    assert.equal(pathToMethod('/other/add', '/rpc2'), null)
    assert.equal(postedBase('/rpc2/'), '/rpc2')
    assert.equal(postedBase('/'), '')
    assert.equal(postedBase(''), '')
    assert.equal(pathToMethod('/items/', ''), 'items')
    assert.deepEqual(candidatePaths('/add', '/rpc2'), ['/rpc2/add', '/rpc2/add/', '/add', '/add/'])
    assert.deepEqual(candidatePaths('/add', ''), ['/add', '/add/'])
  })

  it('detects the kind of call from the content type', () => {
    assert.equal(detectRpc('text/xml'), 'xmlrpc')
    assert.equal(detectRpc('application/xml; charset=utf-8'), 'xmlrpc')
    assert.equal(detectRpc('Text/XML'), 'xmlrpc')
    assert.equal(detectRpc('application/json-rpc'), 'jsonrpc')
    assert.equal(detectRpc('application/json; charset=utf-8'), 'maybe-jsonrpc')
    assert.equal(detectRpc('application/x-www-form-urlencoded'), null)
    assert.equal(detectRpc(undefined), null)
  })
})

describe('reading method help from a handler', () => {
  it('takes a leading string literal (kept by tsx/esbuild) or the comments at the top of the body', () => {
    const arrow = (_was: unknown, a: number, b: number) => {
      'Adds two numbers.'
      return a + b
    }
    // Comments are dropped by tsx; plain JavaScript (here built from source text) keeps them.
    const block = new Function('was', 'a', 'b', '/** Adds two numbers.\n * Returns their sum. */\nreturn a + b')
    const lines = new Function('was', '// Line one\n// line two\nreturn 1')
    const method = new Function('return ({ method(was) { /* in a method */ return 2 } }).method')()
    assert.equal(docFromSource(arrow), 'Adds two numbers.')
    assert.equal(docFromSource(block), 'Adds two numbers.\nReturns their sum.')
    assert.equal(docFromSource(lines), 'Line one\nline two')
    assert.equal(docFromSource(method), 'in a method')
    assert.equal(
      docFromSource((_was: unknown) => 1),
      '',
    )
  })
})

describe('JSON-RPC', () => {
  const calls: string[] = []
  const call = async (method: string, params: unknown) => {
    calls.push(method)
    if (method === 'add') {
      const p = params as any
      const [a, b] = Array.isArray(p) ? p : [p.a, p.b]
      if (a === undefined || b === undefined)
        return { ok: false as const, failure: { status: 400, message: 'missing parameter: b', stack: undefined } }
      return { ok: true as const, value: a + b }
    }
    if (method === 'bin') return { ok: true as const, value: { b: Buffer.from('hi'), n: 2n ** 70n, u: undefined } }
    return {
      ok: false as const,
      failure: { status: 404, message: `no such method: ${method}`, stack: undefined, noMethod: true },
    }
  }

  it('recognizes requests and batches among ordinary JSON bodies', () => {
    assert.equal(looksLikeJsonRpc({ jsonrpc: '2.0', method: 'add' }), true)
    assert.equal(looksLikeJsonRpc([{ jsonrpc: '2.0', method: 'add' }, 1]), true)
    assert.equal(looksLikeJsonRpc({ num1: 1 }), false)
    assert.equal(looksLikeJsonRpc({ jsonrpc: '1.0', method: 'x' }), false)
    assert.equal(looksLikeJsonRpc([]), false)
  })

  it('answers a batch with results, errors, and no entry for notifications', async () => {
    const reply = await answerJsonRpc(
      [
        { jsonrpc: '2.0', method: 'add', params: [4, 10], id: 1 },
        { jsonrpc: '2.0', method: 'add', params: { a: 1, b: 2 }, id: 'two' },
        { jsonrpc: '2.0', method: 'add', params: [1] },
        { jsonrpc: '2.0', method: 'nope', id: 3 },
        { jsonrpc: '2.0', method: 'add', params: [1], id: 4 },
        { foo: 'bar' },
        { jsonrpc: '2.0', method: 'bin', id: 5 },
      ],
      call,
      false,
    )
    const r = JSON.parse(reply!)
    assert.deepEqual(r[0], { jsonrpc: '2.0', result: 14, id: 1 })
    assert.deepEqual(r[1], { jsonrpc: '2.0', result: 3, id: 'two' })
    assert.equal(r[2].error.code, METHOD_NOT_FOUND)
    assert.equal(r[2].error.data.status, 404)
    assert.equal(r[3].error.code, INVALID_PARAMS)
    assert.equal(r[3].id, 4)
    assert.equal(r[4].error.code, INVALID_REQUEST)
    assert.equal(r[4].id, null)
    assert.deepEqual(r[5].result, { b: 'aGk=', n: '1180591620717411303424' })
    assert.equal(r.length, 6, 'the notification got no entry')
  })

  it('returns nothing for a batch of notifications, and refuses an empty batch', async () => {
    assert.equal(await answerJsonRpc([{ jsonrpc: '2.0', method: 'add', params: [1, 2] }], call, false), null)
    const empty = JSON.parse((await answerJsonRpc([], call, false))!)
    assert.equal(empty.error.code, INVALID_REQUEST)
  })

  it('gives -32700 for unparsable JSON and -32600 for a poisoned one', () => {
    const p = parseJsonRpcBody('{"jsonrpc": "2.0", "method": ')
    assert.equal(p.ok, false)
    assert.equal(JSON.parse((p as any).reply).error.code, PARSE_ERROR)
    const q = parseJsonRpcBody('{"jsonrpc":"2.0","method":"x","params":{"__proto__":{"polluted":1}},"id":1}')
    assert.equal(JSON.parse((q as any).reply).error.code, INVALID_REQUEST)
    assert.equal(({} as any).polluted, undefined)
  })

  it('encodes results as JSON values', () => {
    assert.equal(encodeJson(undefined), 'null')
    assert.equal(encodeJson(14), '14')
    assert.equal(encodeJson(new Uint8Array([1, 2])), '"AQI="')
  })
})
