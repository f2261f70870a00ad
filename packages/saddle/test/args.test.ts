import { parse as parseQs } from 'node:querystring'
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { HttpError } from '@skitai/was'
import { mergeArgs, parseForm, parseQuery } from '../src/args.js'

/** No member of Object.prototype is reachable (what a null-prototype object promises; bags keep it). */
function assertNoInheritedMembers(o: object): void {
  for (const k of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__', '__defineGetter__']) {
    assert.equal(k in o && !Object.hasOwn(o, k), false, `inherited ${k}`)
  }
}

const plain = (o: Record<string, unknown>) => ({ ...o })

function rejects400(fn: () => unknown, key: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof HttpError && e.status === 400 && key.test(e.message))
}

describe('parseQuery / parseForm', () => {
  it('decodes values, + as space, duplicates → arrays, no inherited members', () => {
    const q = parseQuery('a=1&b=x+y%21&a=2&c=&d')
    assertNoInheritedMembers(q)
    assert.deepEqual(plain(q), { a: ['1', '2'], b: 'x y!', c: '', d: '' })
    assert.deepEqual(plain(parseQuery('?cid=1&cid=2&cid=3')), { cid: ['1', '2', '3'] }, 'a leading ? is ignored')
    assert.deepEqual(plain(parseQuery('')), {})
    assert.deepEqual(plain(parseQuery('?')), {})
    assert.deepEqual(plain(parseForm('name=Hans+Roh&lang=ko')), { name: 'Hans Roh', lang: 'ko' })
    assertNoInheritedMembers(parseForm(''))
  })

  it('malformed percent-encoding is decoded leniently, never a throw', () => {
    const q = parseQuery('a=%E0%A4%A&b=%zz&c=%')
    assert.equal(q.b, '%zz')
    assert.equal(q.c, '%')
    assert.equal(typeof q.a, 'string')
  })

  it('does not truncate at 1000 keys', () => {
    const s = Array.from({ length: 1500 }, (_, i) => `k${i}=${i}`).join('&')
    assert.equal(Object.keys(parseQuery(s)).length, 1500)
  })

  it('type prefixes: int, float, bit, list, json; other prefixes stripped', () => {
    const q = parseQuery(
      'int:n=3&float:f=1.5&bit:b1=1&bit:b2=true&bit:b3=YES&bit:b4=0&bit:b5=no&list:l=a,b,c&json:j=%7B%22x%22%3A%5B1%2C2%5D%7D&str:s=7&x:y:z=1',
    )
    assert.deepEqual(plain(q), {
      n: 3,
      f: 1.5,
      b1: true,
      b2: true,
      b3: true,
      b4: false,
      b5: false,
      l: ['a', 'b', 'c'],
      j: { x: [1, 2] },
      s: '7',
      'y:z': '1',
    })
    assert.deepEqual(plain(parseQuery('int:n=-4&float:f=-2&float:g=1e3&float:h=.5')), { n: -4, f: -2, g: 1000, h: 0.5 })
    assert.deepEqual(plain(parseQuery('list:e=')), { e: [] })
    assert.deepEqual(plain(parseForm('int:age=40&name=x')), { age: 40, name: 'x' })
  })

  it('keys that only look prefixed stay as they are', () => {
    assert.deepEqual(plain(parseQuery(':x=1&int:=2&9a:b=3')), { ':x': '1', 'int:': '2', '9a:b': '3' })
  })

  it('duplicates across prefixed and plain keys gather into one array; list values flatten', () => {
    assert.deepEqual(plain(parseQuery('a=1&int:a=2&int:a=3')), { a: ['1', 2, 3] })
    assert.deepEqual(plain(parseQuery('list:t=a,b&list:t=c')), { t: ['a', 'b', 'c'] })
    assert.deepEqual(plain(parseQuery('list:t=a')), { t: ['a'] }, 'a list stays a list with one item')
  })

  it('a bad typed value → HttpError(400) naming the key', () => {
    rejects400(() => parseQuery('int:n=x'), /int:n/)
    rejects400(() => parseQuery('int:n=1.5'), /int:n: not an integer/)
    rejects400(() => parseQuery('int:n=99999999999999999999'), /int:n/)
    rejects400(() => parseQuery('int:n='), /int:n/)
    rejects400(() => parseQuery('float:p=abc'), /float:p: not a number/)
    rejects400(() => parseQuery('float:p=Infinity'), /float:p/)
    rejects400(() => parseQuery('float:p=1e999'), /float:p/)
    rejects400(() => parseForm('json:j=%7Bbad'), /json:j: invalid JSON/)
  })

  it('__proto__, constructor and prototype keys pollute nothing', () => {
    const q = parseQuery('__proto__[polluted]=1&__proto__=2&constructor=3&prototype=4&a=5')
    assert.equal(({} as any).polluted, undefined)
    assertNoInheritedMembers(q)
    assert.equal(Object.hasOwn(q, '__proto__'), false)
    assert.equal(Object.hasOwn(q, 'constructor'), false)
    assert.equal(Object.hasOwn(q, 'prototype'), false)
    assert.equal(q['__proto__[polluted]'], '1', 'a harmless string key: no bracket expansion')
    assert.equal(q.a, '5')
    const r = parseQuery('int:__proto__=1&x:constructor=2&json:a=%7B%22b%22%3A1%7D')
    assert.deepEqual(Object.keys(r), ['a'])
    assert.equal(({} as any).b, undefined)
    rejects400(() => parseQuery('json:j=' + encodeURIComponent('{"__proto__":{"polluted":1}}')), /json:j/)
    rejects400(
      () => parseQuery('json:j=' + encodeURIComponent('{"constructor":{"prototype":{"polluted":1}}}')),
      /json:j/,
    )
    assert.equal(({} as any).polluted, undefined)
  })
})

describe('mergeArgs', () => {
  it('URL params, query and body into one object with no inherited members; the body overrides the query', () => {
    const m = mergeArgs({ u: '1' }, parseQuery('a=1&b=1'), parseForm('b=2&c=3'))
    assertNoInheritedMembers(m)
    assert.deepEqual(plain(m), { u: '1', a: '1', b: '2', c: '3' })
  })

  it('a key both in the URL and the query (or body) becomes an array, URL value first', () => {
    assert.deepEqual(plain(mergeArgs({ id: 5 }, parseQuery('id=6'), null)), { id: [5, '6'] })
    assert.deepEqual(plain(mergeArgs({ id: 5 }, parseQuery('id=6&id=7'), null)), { id: [5, '6', '7'] })
    assert.deepEqual(plain(mergeArgs({ id: 5 }, parseQuery('id=6'), { id: 8 })), { id: [5, 8] })
  })

  it('JSON bodies keep their types', () => {
    const m = mergeArgs({}, null, { n: 1, b: true, o: { x: [1] }, z: null })
    assert.deepEqual(plain(m), { n: 1, b: true, o: { x: [1] }, z: null })
  })

  it('JSON {"__proto__": {"polluted": 1}} pollutes nothing', () => {
    const body = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}, "a": 1}')
    const m = mergeArgs({}, parseQuery('__proto__=x'), body)
    assert.deepEqual(Object.keys(m), ['a'])
    assertNoInheritedMembers(m)
    assert.equal(({} as any).polluted, undefined)
    assert.equal((m as any).polluted, undefined)
  })

  it('null sources are skipped; the inputs are not modified', () => {
    const url = { u: 'x' }
    const q = parseQuery('a=1')
    const m = mergeArgs(url, q, null)
    m.a = 'changed'
    assert.equal(q.a, '1')
    assert.deepEqual(plain(mergeArgs({}, null, null)), {})
  })
})

describe('plain query strings split without node:querystring', () => {
  it('give exactly what node:querystring gives, for every string of a, b, = and & up to 7 long', () => {
    const alphabet = ['a', 'b', '=', '&']
    let strings = ['']
    let checked = 0
    for (let len = 1; len <= 7; len++) {
      const next: string[] = []
      for (const s of strings) for (const c of alphabet) next.push(s + c)
      strings = next
      for (const t of strings) {
        const ours = Object.entries(parseQuery(t))
        const node = Object.entries(parseQs(t, '&', '=', { maxKeys: 0 }))
        assert.deepEqual(ours, node, JSON.stringify(t))
        checked++
      }
    }
    assert.equal(checked, 21844)
  })
})
