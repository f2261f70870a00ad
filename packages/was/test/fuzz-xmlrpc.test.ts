/**
 * Property-based fuzzing (fast-check) of the XML-RPC decoder shared by Saddle's server and `was.rpc`:
 * any value the encoder writes decodes to the same value; a mangled, truncated or hostile document either
 * decodes or throws XmlRpcDecodeError (never another exception, which a server would answer 500), and no
 * prototype is ever polluted. FUZZ_RUNS sets the runs per property.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  decodeXmlRpcCall,
  decodeXmlRpcReply,
  encodeXmlRpcCall,
  encodeXmlRpcResponse,
  XmlRpcDecodeError,
} from '@skitai/was'
import fc from 'fast-check'

const RUNS = Number(process.env.FUZZ_RUNS ?? 60)

/** Text XML 1.0 can carry as it is: no C0 controls but tab and newline, no CR (parsers normalise it). */
const xmlText = fc
  .string({ unit: 'grapheme', maxLength: 20 })
  .filter((s) => !/[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]/.test(s))

const key = xmlText.filter((k) => k !== '__proto__' && k.trim() === k && k !== '')

/** Values XML-RPC can represent exactly (the encoder's own mapping: integers, doubles, …). */
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
    xmlText,
    fc.boolean(),
    fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
}))

/** Plain data as the decoder returns it (null-prototype structs compared as plain objects). */
function plain(v: unknown): unknown {
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map(plain)
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
}

function decodesOrRefuses(body: string, decode: (b: string) => unknown): void {
  try {
    decode(body)
  } catch (e) {
    assert.ok(e instanceof XmlRpcDecodeError, `${(e as Error)?.stack ?? e}\nbody: ${body.slice(0, 300)}`)
    assert.ok((e as Error).message.length > 0)
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype polluted')
}

/** A document edited at random: bytes cut, inserted or replaced, the end cut off. */
const mangled = (doc: fc.Arbitrary<string>) =>
  fc
    .tuple(
      doc,
      fc.array(
        fc.tuple(
          fc.nat(),
          fc.nat({ max: 8 }),
          fc.constantFrom(
            '<',
            '>',
            '/',
            '&',
            '"',
            '<value>',
            '</struct>',
            '<name>__proto__</name>',
            '<!ENTITY',
            '<![CDATA[',
            'ÿ',
            '',
          ),
        ),
        { maxLength: 4 },
      ),
    )
    .map(([d, edits]) => {
      let s = d
      for (const [at, cut, put] of edits) {
        const i = at % (s.length + 1)
        s = s.slice(0, i) + put + s.slice(i + cut)
      }
      return s
    })

const call = fc
  .tuple(
    xmlText.filter((s) => /^[\w.]+$/.test(s)),
    fc.array(value, { maxLength: 4 }),
  )
  .map(([m, p]) => encodeXmlRpcCall(m || 'm', p))

describe('fuzz: XML-RPC decoder (fast-check)', () => {
  it('a call round-trips: decode(encode(method, params)) gives the same params', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 5 }), (params) => {
        const decoded = decodeXmlRpcCall(encodeXmlRpcCall('echo.it', params))
        assert.equal(decoded.methodName, 'echo.it')
        assert.deepEqual(plain(decoded.params), plain(params))
      }),
      { numRuns: RUNS * 2 },
    )
  })

  it('a reply round-trips through encodeXmlRpcResponse / decodeXmlRpcReply', () => {
    fc.assert(
      fc.property(value, (v) => {
        const r = decodeXmlRpcReply(encodeXmlRpcResponse(v))
        assert.equal(r.fault, null)
        assert.deepEqual(plain(r.value), plain(v))
      }),
      { numRuns: RUNS * 2 },
    )
  })

  it('mangled calls and replies: decoded or refused with XmlRpcDecodeError, nothing polluted', () => {
    const reply = value.map((v) => encodeXmlRpcResponse(v))
    fc.assert(
      fc.property(mangled(call), mangled(reply), (c, r) => {
        decodesOrRefuses(c, decodeXmlRpcCall)
        decodesOrRefuses(r, decodeXmlRpcReply)
      }),
      { numRuns: RUNS * 4 },
    )
  })

  it('hostile members and nesting are refused with XmlRpcDecodeError', () => {
    fc.assert(
      fc.property(fc.nat({ max: 300 }), fc.constantFrom('array', 'struct'), (depth, kind) => {
        const open = kind === 'array' ? '<value><array><data>' : '<value><struct><member><name>a</name>'
        const close = kind === 'array' ? '</data></array></value>' : '</member></struct></value>'
        const body = `<?xml version="1.0"?><methodCall><methodName>m</methodName><params><param>${open.repeat(depth)}<value><struct><member><name>__proto__</name><value><struct><member><name>polluted</name><value>1</value></member></struct></value></member></struct></value>${close.repeat(depth)}</param></params></methodCall>`
        assert.throws(() => decodeXmlRpcCall(body), XmlRpcDecodeError)
        assert.equal(({} as Record<string, unknown>).polluted, undefined)
      }),
      { numRuns: RUNS },
    )
  })
})
