/**
 * Hostile XML-RPC input against a real server (saddle README "XML-RPC and JSON-RPC"): malformed XML, a body far over the limit,
 * DOCTYPE/ENTITY tricks, a __proto__ struct member, pathological nesting. Each gets a fault or a 413 —
 * never a crash, an expansion, or a polluted object — and the server keeps answering.
 */
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { connect } from 'node:net'
import { Readable } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import type { Engine } from '@skitai/engine'
import { request } from 'undici'
import { mainApp, python, serve, xmlCall } from './rpc-fixture.js'

const Deserializer = createRequire(import.meta.url)('xmlrpc/lib/deserializer.js')
const MB = 1024 * 1024
const param = (v: string) => `<param><value>${v}</value></param>`

describe('hostile XML-RPC input', () => {
  let engine: Engine
  let port = 0
  let url = ''
  before(async () => {
    ;({ engine, port, url } = await serve([['/', mainApp()]]))
  })
  after(() => engine.close(1))

  async function postXml(body: string | Buffer) {
    const r = await request(`${url}/`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body })
    return { status: r.statusCode, text: await r.body.text() }
  }

  async function faultOf(text: string): Promise<[number, string]> {
    const r = await decodeReply(text)
    assert.ok(r.fault, `a fault: ${text.slice(0, 300)}`)
    return [r.fault.faultCode, r.fault.faultString]
  }

  async function stillServes() {
    const ok = await postXml(xmlCall('add', param('<int>4</int>') + param('<int>10</int>')))
    assert.equal((await decodeReply(ok.text)).value, 14)
  }

  test('malformed XML gets a 400 fault naming the problem', async () => {
    const bodies = [
      'this is not xml',
      '<methodCall><methodName>add</methodName><params><param><value><int>4</int>',
      xmlCall('add', param('<int>4x</int>') + param('<int>1</int>')),
      xmlCall('add', param('<boolean>maybe</boolean>')),
      xmlCall('add', param('<struct><member><value>no name</value></member></struct>')),
      '<methodResponse><params><param><value>1</value></param></params></methodResponse>',
      xmlCall('add', param('<script>alert(1)</script>')),
      '',
    ]
    for (const b of bodies) {
      const r = await postXml(b)
      assert.equal(r.status, 200)
      const [code, msg] = await faultOf(r.text)
      assert.equal(code, 400, b)
      assert.ok(msg.length > 0)
    }
    await stillServes()
  })

  test('a 50 MB body against the 5 MB limit: 413 by Content-Length, before reading', async () => {
    const head = `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: ${50 * MB}\r\n\r\n`
    const text = await rawExchange(port, head, 0)
    assert.match(text.response, /^HTTP\/1\.1 413 /)
    await stillServes()
  })

  test('a 50 MB chunked body: 413 once 5 MB are crossed, memory stays flat', async () => {
    global.gc?.()
    const before = memory()
    let peak = before
    const sampler = setInterval(() => {
      peak = Math.max(peak, memory())
    }, 10)
    const head = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n'
    const r = await rawExchange(port, head, 50 * MB)
    clearInterval(sampler)
    assert.match(r.response, /^HTTP\/1\.1 413 /)
    assert.ok(r.sent < 50 * MB, `the server stopped taking the body (sent ${(r.sent / MB).toFixed(1)} MB)`)
    // The server holds at most the 5 MB limit; nothing near 50 MB is ever buffered.
    const grew = (peak - before) / MB
    assert.ok(grew < 25, `memory grew by ${grew.toFixed(1)} MB`)
    await stillServes()
  })

  test('<!DOCTYPE> with entities: refused with a fault, nothing expanded', async () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
      '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>' +
      xmlCall('echo', param('<string>&lol2;</string>'))
    const r = await postXml(laughs)
    assert.equal(r.status, 200)
    assert.deepEqual(await faultOf(r.text), [400, 'DOCTYPE and ENTITY declarations are not accepted'])
    assert.ok(!r.text.includes('lollol'))
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' +
      xmlCall('echo', param('<string>&xxe;</string>'))
    const r2 = await postXml(xxe)
    assert.equal((await faultOf(r2.text))[0], 400)
    assert.ok(!r2.text.includes('root:'))
    // without a DOCTYPE, an undeclared entity stays literal text (sax knows only the built-in ones)
    const lit = await postXml(xmlCall('echo', param('<string>&xxe; &amp; &lt;</string>')))
    assert.equal((await decodeReply(lit.text)).value, '&xxe; & <')
  })

  test('a __proto__ struct member is refused and pollutes nothing', async () => {
    const poison = xmlCall(
      'echo',
      param(
        '<struct><member><name>__proto__</name><value><struct>' +
          '<member><name>polluted</name><value><string>yes</string></value></member>' +
          '</struct></value></member></struct>',
      ),
    )
    const r = await postXml(poison)
    assert.deepEqual(await faultOf(r.text), [400, 'struct member name __proto__ is not allowed'])
    assert.equal(({} as any).polluted, undefined)
    assert.equal((Object.prototype as any).polluted, undefined)
    // constructor/prototype are plain members of a null-prototype struct
    const ctor = await postXml(
      xmlCall(
        'describe',
        param('<struct><member><name>constructor</name><value><string>c</string></value></member></struct>'),
      ),
    )
    assert.equal((await decodeReply(ctor.text)).value.nullPrototype, true)
    await stillServes()
  })

  test('10,000 nested arrays: a fault, no stack overflow', async () => {
    const n = 10_000
    const deep = xmlCall(
      'echo',
      `<param>${'<value><array><data>'.repeat(n)}${'</data></array></value>'.repeat(n)}</param>`,
    )
    const r = await postXml(deep)
    assert.equal(r.status, 200)
    assert.deepEqual(await faultOf(r.text), [400, 'values nested deeper than 100 arrays/structs'])
    await stillServes()
  })

  test('Python sees these as faults too, and its next call works', async () => {
    const out = await python(
      url,
      `import http.client
def send(body):
    c = http.client.HTTPConnection(URL.replace('http://', ''))
    c.request('POST', '/', body, {'Content-Type': 'text/xml'})
    r = c.getresponse()
    try:
        x.loads(r.read())
        return 'no fault'
    except x.Fault as e:
        return e.faultCode
print(json.dumps(send('<methodCall><methodName>add</methodName><params>')))
print(json.dumps(send('<!DOCTYPE a [<!ENTITY b "c">]><methodCall><methodName>echo</methodName></methodCall>')))
print(json.dumps(x.ServerProxy(URL + '/').add(4, 10)))`,
    )
    assert.deepEqual(out, [400, 400, 14])
  })
})

/** Decodes a reply with the xmlrpc package's own Deserializer (what its client uses). */
function decodeReply(text: string): Promise<{ value?: any; fault?: { faultCode: number; faultString: string } }> {
  const stream = Readable.from([Buffer.from(text)])
  return new Promise((resolve, reject) => {
    new Deserializer().deserializeMethodResponse(stream, (err: any, value: unknown) => {
      if (err?.faultCode !== undefined) resolve({ fault: { faultCode: err.faultCode, faultString: err.faultString } })
      else if (err) reject(err)
      else resolve({ value })
    })
  })
}

function memory(): number {
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

/**
 * Sends `head`, then up to `bodyBytes` of chunked body (one reused 64 KiB chunk, respecting
 * backpressure) until the server answers and closes; returns what came back and how much was sent.
 */
function rawExchange(port: number, head: string, bodyBytes: number): Promise<{ response: string; sent: number }> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1')
    const chunk = Buffer.alloc(64 * 1024, 'a')
    const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
    let response = ''
    let sent = 0
    let done = false
    const finish = () => {
      if (done) return
      done = true
      sock.destroy()
      resolve({ response, sent })
    }
    sock.on('data', (d) => {
      response += d.toString('latin1')
    })
    sock.on('error', finish)
    sock.on('close', finish)
    const pump = () => {
      while (!done && sent < bodyBytes) {
        sent += chunk.length
        if (!sock.write(frame)) return void sock.once('drain', pump)
      }
      if (!done && bodyBytes > 0) sock.write('0\r\n\r\n')
    }
    sock.on('connect', () => {
      sock.write(head)
      if (bodyBytes > 0) pump()
    })
    // a head-only exchange ends once the answer is in
    const timer = setInterval(() => {
      if (/\r\n\r\n/.test(response) && (bodyBytes === 0 || sent >= bodyBytes)) {
        clearInterval(timer)
        setTimeout(finish, 50)
      }
    }, 20)
    sock.on('close', () => clearInterval(timer))
  })
}
