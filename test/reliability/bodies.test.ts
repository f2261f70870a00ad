import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type Answer, figure, post, request, scale, startTarget, type Target } from './harness.js'

/**
 * Bad bodies: oversize bodies of every type (RSS before and after), multipart bombs (temporary files
 * left), malformed JSON / XML-RPC / JSON-RPC (depth, entities, `__proto__`). Every request must get an
 * answer, nothing may be buffered past a limit, and no object may be polluted.
 */

const MB = 1024 * 1024
const BOUNDARY = 'reliabilityBomb'

function multipart(parts: { name: string; file?: string; data: string | Buffer; head?: string }[], end = true): Buffer {
  const out: Buffer[] = []
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.file !== undefined ? `; filename="${p.file}"` : ''}`
    out.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${p.head ?? ''}\r\n`))
    out.push(Buffer.from(p.data), Buffer.from('\r\n'))
  }
  if (end) out.push(Buffer.from(`--${BOUNDARY}--\r\n`))
  return Buffer.concat(out)
}

const MP = `multipart/form-data; boundary=${BOUNDARY}`

/** A chunked multipart upload whose first chunk is good and whose second has a malformed size. */
function chunkedThenBad(body: Buffer): Buffer {
  const first = body.subarray(0, body.length - 20)
  return Buffer.concat([
    Buffer.from(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: ${MP}\r\nTransfer-Encoding: chunked\r\n\r\n`),
    Buffer.from(`${first.length.toString(16)}\r\n`),
    first,
    Buffer.from('\r\nzz\r\n'),
  ])
}

/** Send, and count what got no final answer. */
async function sendAll(port: number, list: [string, Buffer | string, number[]][]): Promise<Answer[]> {
  const out: Answer[] = []
  for (const [what, data, allowed] of list) {
    const r = await request(port, data, { ms: 15_000 })
    assert.ok(r.status !== 0, `${what}: no answer`)
    assert.ok(allowed.includes(r.status), `${what}: ${r.status} ${r.body.slice(0, 200)}`)
    out.push(r)
  }
  return out
}

describe('bad bodies', () => {
  let target: Target
  before(async () => {
    target = await startTarget()
  })
  after(() => target.stop())

  test('oversize bodies of every type: 413 before they are buffered; RSS before and after', async () => {
    const rounds = scale(20, 3)
    const before = await target.status()
    const big = Buffer.alloc(9 * MB, 'a')
    const overApp = Buffer.alloc(100 * 1024, 'a')
    const list: [string, Buffer | string, number[]][] = []
    for (let i = 0; i < rounds; i++) {
      list.push(['JSON 9 MB (engine limit 8 MB)', post('/echo', 'application/json', big), [413]])
      list.push(['JSON 100 KB (app limit 64 KB)', post('/echo', 'application/json', overApp), [413]])
      list.push(['form 100 KB', post('/echo', 'application/x-www-form-urlencoded', overApp), [413]])
      list.push(['XML-RPC 100 KB', post('/', 'text/xml', overApp), [413, 200]])
      list.push(['raw 9 MB', post('/raw', 'application/octet-stream', big), [413]])
      list.push([
        'multipart 2 MB (limit 1 MB)',
        post('/upload', MP, multipart([{ name: 'file', file: 'a', data: Buffer.alloc(2 * MB) }])),
        [413],
      ])
      const chunked = Buffer.concat([
        Buffer.from('POST /raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'),
        Buffer.from(`${(9 * MB).toString(16)}\r\n`),
        big,
        Buffer.from('\r\n0\r\n\r\n'),
      ])
      list.push(['chunked 9 MB', chunked, [413]])
    }
    const answers = await sendAll(target.port, list)
    const after = await target.status()
    figure(
      'oversize',
      `bodies sent (${list.length}, ${(list.length * 5.5).toFixed(0)} MB in all) unanswered`,
      answers.filter((a) => a.status === 0).length,
    )
    figure('oversize', 'RSS before', (before.rss / MB).toFixed(1), 'MB')
    figure('oversize', 'RSS after', (after.rss / MB).toFixed(1), 'MB')
    // nothing over a limit is buffered: growth stays far below what was sent
    assert.ok(after.rss - before.rss < 100 * MB, `RSS grew ${(after.rss - before.rss) / MB} MB`)
    assert.equal(after.tempFiles, 0)
  })

  test('multipart bombs: every one answered, no temporary file left', async () => {
    const many = (n: number, file: boolean) =>
      Array.from({ length: n }, (_, i) => ({ name: `p${i}`, file: file ? 'f.txt' : undefined, data: 'x' }))
    const list: [string, Buffer | string, number[]][] = [
      ['1,000 file parts', post('/upload', MP, multipart(many(1000, true))), [413]],
      [
        'one file + 999 fields',
        post('/upload', MP, multipart([{ name: 'file', file: 'a', data: 'x' }, ...many(999, false)])),
        [413],
      ],
      ['10,000 empty fields', post('/upload', MP, multipart(many(10_000, false))), [413]],
      [
        'a file over maxUploadFileSize',
        post('/upload', MP, multipart([{ name: 'file', file: 'a', data: Buffer.alloc(300 * 1024) }])),
        [413],
      ],
      [
        'a file 1 byte over',
        post('/upload', MP, multipart([{ name: 'file', file: 'a', data: Buffer.alloc(256 * 1024 + 1) }])),
        [413],
      ],
      [
        'a part header of 100 KB',
        post(
          '/upload',
          MP,
          multipart([{ name: 'file', file: 'a', data: 'x', head: `X-Pad: ${'p'.repeat(100 * 1024)}\r\n` }]),
        ),
        [400, 413],
      ],
      [
        '2,000 part headers',
        post('/upload', MP, multipart([{ name: 'file', file: 'a', data: 'x', head: 'X-A: b\r\n'.repeat(2000) }])),
        [400, 413, 200],
      ],
      ['no closing boundary', post('/upload', MP, multipart([{ name: 'file', file: 'a', data: 'abc' }], false)), [400]],
      [
        'a boundary that never appears',
        post('/upload', 'multipart/form-data; boundary=nothere', Buffer.alloc(10_000, 'z')),
        [400],
      ],
      ['no boundary parameter', post('/upload', 'multipart/form-data', 'abc'), [400]],
      [
        'a bad chunk size in the middle of a file',
        chunkedThenBad(multipart([{ name: 'file', file: 'a', data: 'abc' }])),
        [400],
      ],
      // the binder hands the text to the handler (types are not known at run time): answered, nothing kept
      ['a file field sent as text', post('/upload', MP, multipart([{ name: 'file', data: 'not a file' }])), [200, 400]],
      ['a good file', post('/upload', MP, multipart([{ name: 'file', file: 'a', data: Buffer.alloc(1000) }])), [200]],
    ]
    await sendAll(target.port, list)
    // a client that goes away mid-upload
    const half = post('/upload', MP, multipart([{ name: 'file', file: 'a', data: Buffer.alloc(100 * 1024) }]))
    await request(target.port, half.subarray(0, half.length - 50_000), { ms: 300 })
    let st = await target.status()
    for (let i = 0; i < 40 && st.tempFiles > 0; i++) {
      await new Promise((r) => setTimeout(r, 50))
      st = await target.status()
    }
    figure('multipart-bombs', `${list.length + 1} bombs: temporary files left`, st.tempFiles)
    assert.equal(st.tempFiles, 0)
  })

  test('malformed JSON, XML-RPC and JSON-RPC: answered, never a crash, no prototype pollution', async () => {
    // under the app's 64 KB limit: the depth, not the size, is what is probed
    const deepJson = `${'['.repeat(30_000)}${']'.repeat(30_000)}`
    const deepObject = `{"a":${'{"a":'.repeat(9_000)}1${'}'.repeat(9_001)}`
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>' +
      '<methodCall><methodName>echo</methodName><params><param><value><string>&lol3;</string></value></param></params></methodCall>'
    const deepXml = `<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param><value>${'<array><data><value>'.repeat(1400)}1${'</value></data></array>'.repeat(1400)}</value></param></params></methodCall>`
    const protoXml =
      '<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param><value><struct>' +
      '<member><name>__proto__</name><value><struct><member><name>polluted</name><value><int>1</int></value></member></struct></value></member>' +
      '</struct></value></param></params></methodCall>'
    const list: [string, Buffer | string, number[]][] = [
      ['JSON __proto__', post('/echo', 'application/json', '{"a":1,"__proto__":{"polluted":1}}'), [400]],
      [
        'JSON constructor.prototype',
        post('/echo', 'application/json', '{"constructor":{"prototype":{"isAdmin":true}}}'),
        [400],
      ],
      ['JSON arrays nested 30,000 deep', post('/echo', 'application/json', deepJson), [400]],
      ['JSON objects nested 9,000 deep', post('/echo', 'application/json', deepObject), [400]],
      ['JSON truncated', post('/echo', 'application/json', '{"a": "b'), [400]],
      ['JSON a top-level array', post('/echo', 'application/json', '[1,2]'), [400]],
      [
        'JSON invalid UTF-8',
        post('/echo', 'application/json', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])),
        [400, 200],
      ],
      [
        'form __proto__[polluted]',
        post('/echo', 'application/x-www-form-urlencoded', '__proto__[polluted]=1&a=x'),
        [200, 400],
      ],
      [
        'query __proto__',
        'GET /echo?__proto__[polluted]=1&constructor[prototype][isAdmin]=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        [200, 400],
      ],
      ['XML-RPC billion laughs', post('/', 'text/xml', laughs), [200, 400]],
      ['XML-RPC nested 1,400 deep (60 KB)', post('/', 'text/xml', deepXml), [200, 400]],
      ['XML-RPC __proto__ member', post('/', 'text/xml', protoXml), [200, 400]],
      ['XML-RPC not XML', post('/', 'text/xml', '<methodCall><methodName>echo'), [200, 400]],
      [
        'JSON-RPC __proto__ params',
        post('/', 'application/json', '{"jsonrpc":"2.0","id":1,"method":"echo","params":{"__proto__":{"polluted":1}}}'),
        [200, 400],
      ],
      [
        'JSON-RPC batch of 10,000',
        post(
          '/',
          'application/json',
          JSON.stringify(
            Array.from({ length: 10_000 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'add', params: [1, 2] })),
          ),
        ),
        [200, 400, 413],
      ],
      [
        'JSON-RPC unknown method',
        post('/', 'application/json', '{"jsonrpc":"2.0","id":1,"method":"nope"}'),
        [200, 404],
      ],
    ]
    const answers = await sendAll(target.port, list)
    for (const a of answers) assert.doesNotMatch(a.body, /lollollollollollollol/, 'entities are not expanded')
    const st = await target.status()
    figure(
      'malformed-bodies',
      `${list.length} malformed JSON/XML-RPC/JSON-RPC bodies: unanswered`,
      answers.filter((a) => a.status === 0).length,
    )
    figure('malformed-bodies', 'answered 500', answers.filter((a) => a.status >= 500).length)
    figure('malformed-bodies', 'prototype polluted', st.polluted ? 1 : 0)
    assert.equal(st.polluted, false)
    assert.equal(answers.filter((a) => a.status >= 500).length, 0, 'no 500 for bad input')
  })
})
