/**
 * parseJsonSafely: JSON.parse straight away when the text cannot hold a poisoning member (no backslash,
 * no `__proto__`, no `constructor`, no BOM), secure-json-parse otherwise (commit 54b9c02).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_JSON_DEPTH, parseJsonSafely } from '@skitai/was'

describe('parseJsonSafely', () => {
  it('parses plain JSON of every kind into ordinary values', () => {
    const v = parseJsonSafely('{"a":1,"b":[true,null,"x"],"c":{"d":2.5}}') as any
    assert.deepEqual(v, { a: 1, b: [true, null, 'x'], c: { d: 2.5 } })
    assert.equal(Object.getPrototypeOf(v), Object.prototype)
    assert.deepEqual(parseJsonSafely('[1,2]'), [1, 2])
    assert.equal(parseJsonSafely('"str"'), 'str')
    assert.equal(parseJsonSafely('3'), 3)
    assert.equal(parseJsonSafely('null'), null)
    assert.deepEqual(parseJsonSafely('{"s":"a\\"b\\\\c\\u00e9"}'), { s: 'a"b\\cé' }, 'escapes in values are fine')
  })

  it('refuses a __proto__ member, literal or escaped, at any depth', () => {
    assert.throws(() => parseJsonSafely('{"__proto__":{"x":1}}'), SyntaxError)
    assert.throws(() => parseJsonSafely('{"\\u005f_proto__":{}}'), SyntaxError)
    assert.throws(() => parseJsonSafely('{"\\u005F\\u005Fproto\\u005f\\u005f":{}}'), SyntaxError)
    assert.throws(() => parseJsonSafely('{"a":[{"b":{"__proto__":{"x":1}}}]}'), SyntaxError)
    assert.throws(() => parseJsonSafely('[{"_\\u005fpr\\u006fto__":1}]'), SyntaxError)
    assert.equal(({} as any).x, undefined, 'nothing reached Object.prototype')
  })

  it('refuses constructor.prototype, literal or escaped', () => {
    assert.throws(() => parseJsonSafely('{"constructor":{"prototype":{}}}'), SyntaxError)
    assert.throws(() => parseJsonSafely('{"a":{"constructor":{"prototype":{"x":1}}}}'), SyntaxError)
    assert.throws(() => parseJsonSafely('{"\\u0063onstructor":{"prototype":{}}}'), SyntaxError)
    assert.throws(() => parseJsonSafely('{"constructor":{"\\u0070rototype":{}}}'), SyntaxError)
  })

  it('allows the names as plain values, and constructor without a prototype member', () => {
    assert.deepEqual(parseJsonSafely('{"a":"constructor"}'), { a: 'constructor' })
    assert.deepEqual(parseJsonSafely('{"a":"__proto__"}'), { a: '__proto__' })
    assert.deepEqual(parseJsonSafely('["constructor","prototype"]'), ['constructor', 'prototype'])
    assert.deepEqual(parseJsonSafely('{"constructor":1}'), { constructor: 1 })
    assert.deepEqual(parseJsonSafely('{"proto":1,"prototype":2}'), { proto: 1, prototype: 2 })
  })

  it('parses BOM-prefixed JSON (which JSON.parse alone refuses)', () => {
    assert.throws(() => JSON.parse('\uFEFF{"a":1}'), SyntaxError)
    assert.deepEqual(parseJsonSafely('\uFEFF{"a":1}'), { a: 1 })
    assert.deepEqual(parseJsonSafely('\uFEFF[1]'), [1])
  })

  it('throws SyntaxError for bad JSON, on both paths', () => {
    for (const bad of ['', '{', '{"a":}', "{'a':1}", 'undefined', '{"a":1,}', '{"a":"\\x"}', '{"__proto__":']) {
      assert.throws(() => parseJsonSafely(bad), SyntaxError, JSON.stringify(bad))
    }
  })

  it('refuses nesting deeper than MAX_JSON_DEPTH; brackets inside strings do not count', () => {
    const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`
    assert.equal(typeof parseJsonSafely(deep(MAX_JSON_DEPTH)), 'object')
    assert.throws(() => parseJsonSafely(deep(MAX_JSON_DEPTH + 1)), /nested deeper than 512 levels/)
    assert.throws(() => parseJsonSafely(`${'['.repeat(30_000)}${']'.repeat(30_000)}`), /nested deeper/)
    const text = JSON.stringify({ s: '['.repeat(2000), t: '\\"[[[' })
    assert.deepEqual(parseJsonSafely(text), JSON.parse(text))
  })
})
