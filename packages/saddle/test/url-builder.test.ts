import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileArgBuilder } from '../src/arg-builder.js'
import { parseQuery } from '../src/args.js'
import { readSignature } from '../src/signature.js'
import { parseRule, Router } from '../src/router.js'
import { type BuildableRoute, baseUrl, buildUrl } from '../src/url-builder.js'

function route(name: string, rule: string, handler: Function): BuildableRoute {
  const sig = readSignature(handler)
  const info = parseRule(rule)
  const last = sig.params[sig.params.length - 1]
  const lastVar = info.vars[info.vars.length - 1]
  return {
    name,
    rule: info,
    builder: compileArgBuilder(sig, info),
    optionalLastVar: lastVar !== undefined && last?.name === lastVar.name && last.hasDefault,
  }
}

describe('buildUrl (README "URL building")', () => {
  const add = route('add', '/add', (_was: any, num1: any, num2: any) => num1 + num2)
  const hello = route('hello', '/hello/<name>', (_was: any, name: any) => name)

  it('positional args go into the query in parameter order', () => {
    assert.equal(buildUrl(add, '', [10, 40]), '/add?num1=10&num2=40')
    assert.equal(buildUrl(add, '', [10], { num2: 60 }), '/add?num1=10&num2=60')
    assert.equal(
      buildUrl(add, '', [], { num2: 60, num1: 1 }),
      '/add?num1=1&num2=60',
      'parameter order, not kwargs order',
    )
    assert.equal(buildUrl(add, '', []), '/add')
  })

  it('string variables: spaces → _, round trip through the router to "Your Name"', () => {
    const url = buildUrl(hello, '', ['Your Name'])
    assert.equal(url, '/hello/Your_Name')
    const r = new Router<string>()
    r.add('/hello/<name>', 'hello')
    assert.deepEqual({ ...(r.find(url) as any).params }, { name: 'Your Name' })
    for (const v of ['a_b c', 'café/bar?x=1&y#z', '100%', "it's", '  ', '_']) {
      const u = buildUrl(hello, '', [v])
      assert.equal((r.find(u) as any).params.name, v, `${v} → ${u}`)
    }
  })

  it('the mount point is prefixed', () => {
    assert.equal(buildUrl(add, '/v1', [1, 2]), '/v1/add?num1=1&num2=2')
    assert.equal(buildUrl(add, '/v1/', [1, 2]), '/v1/add?num1=1&num2=2')
    assert.equal(buildUrl(add, '/', [1, 2]), '/add?num1=1&num2=2')
  })

  it('path variables keep their /; int and float variables are checked', () => {
    const dl = route('dl', '/download/<int:major>/<path:rest>', (_w: any, major: any, rest: any) => [major, rest])
    const url = buildUrl(dl, '', [2, 'a b/c?d.txt'])
    assert.equal(url, '/download/2/a%20b/c%3Fd.txt')
    const r = new Router<string>()
    r.add('/download/<int:major>/<path:rest>', 'dl')
    assert.deepEqual({ ...(r.find(url) as any).params }, { major: 2, rest: 'a b/c?d.txt' })
    assert.throws(
      () => buildUrl(dl, '', [-1, 'x']),
      /path variable 'major' of route 'dl' must be a non-negative integer/,
    )
    const price = route('price', '/price/<float:p>', (_w: any, p: any) => p)
    assert.equal(buildUrl(price, '', [1.5]), '/price/1.5')
    assert.throws(() => buildUrl(price, '', ['abc']), /'p' of route 'price' must be a non-negative number/)
  })

  it('defaults are not emitted; an optional last variable is left out when not given', () => {
    const owners = route('owners', '/owners/<oid>', (_was: any, oid = null) => oid)
    assert.equal(owners.optionalLastVar, true)
    assert.equal(buildUrl(owners, '', []), '/owners')
    assert.equal(buildUrl(owners, '', [54]), '/owners/54')
    assert.equal(buildUrl(owners, '/v1', [null]), '/v1/owners')
    const slashed = route('owners2', '/owners2/<oid>/', (_was: any, oid = null) => oid)
    assert.equal(buildUrl(slashed, '', []), '/owners2/')
    assert.equal(buildUrl(slashed, '', ['a b']), '/owners2/a_b/')
    const search = route('search', '/search', (_was: any, keyword = 'Mozart', page = 1) => [keyword, page])
    assert.equal(buildUrl(search, '', []), '/search')
    assert.equal(buildUrl(search, '', [undefined], { page: 2 }), '/search?page=2')
  })

  it('errors name the problem: too many, unknown, missing path variable, given twice', () => {
    assert.throws(() => buildUrl(add, '', [1, 2, 3]), /too many parameters for route 'add': it takes 2, got 3/)
    assert.throws(() => buildUrl(add, '', [1], { num3: 3 }), /unknown parameter 'num3' for route 'add'/)
    assert.throws(
      () => buildUrl(add, '', [], { __proto__: null, constructor: 1 } as any),
      /unknown parameter 'constructor'/,
    )
    assert.throws(() => buildUrl(hello, '', []), /missing path variable 'name' for route 'hello'/)
    assert.throws(
      () => buildUrl(add, '', [1], { num1: 2 }),
      /parameter 'num1' of route 'add' given both by position and by name/,
    )
    const root = route('root-id', '/<id>', (_was: any, id = null) => id)
    assert.throws(() => buildUrl(root, '', []), /missing path variable 'id'/, 'not optional for a root rule')
  })

  it('query values: arrays repeat the key, objects travel as json:, extras of a catch-all follow', () => {
    const f = route('f', '/f/<u>', (_was: any, a: any, form: any) => [a, form])
    const url = buildUrl(f, '', [['x', 'y']], { u: 'p q', z: { k: [1] }, w: true })
    assert.equal(url, '/f/p_q?a=x&a=y&json:z=%7B%22k%22%3A%5B1%5D%7D&w=true')
    const q = parseQuery(url.slice(url.indexOf('?') + 1))
    assert.deepEqual({ ...q }, { a: ['x', 'y'], z: { k: [1] }, w: 'true' })
    const when = new Date(Date.UTC(2026, 0, 2, 3, 4, 5))
    assert.equal(buildUrl(add, '', [when, 'a&b=c']), '/add?num1=2026-01-02T03%3A04%3A05.000Z&num2=a%26b%3Dc')
  })

  it('picks of a { ...form } catch-all are positional names too', () => {
    const g = route('g', '/g', (_was: any, { userid, ...form }: any) => [userid, form])
    assert.equal(buildUrl(g, '', ['u1'], { lang: 'ko' }), '/g?userid=u1&lang=ko')
  })

  it('baseUrl: the rule up to its first variable, with the mount point', () => {
    assert.equal(baseUrl(hello, ''), '/hello/')
    assert.equal(baseUrl(hello, '/v1'), '/v1/hello/')
    assert.equal(baseUrl(add, '/v1/'), '/v1/add')
    assert.equal(
      baseUrl(
        route('r', '/<id>', (_w: any, id: any) => id),
        '/x',
      ),
      '/x/',
    )
  })
})
