/**
 * Regression tests for the request hot path (commit 54b9c02, issue 7), arguments: `buildFrom` ≡
 * `build(mergeArgs(…))`, JSON POSTs parsed once, and the query fast check of `parsePairs`. Which routes
 * are `bare` and CORS on them is in fast-path-plans.test.ts.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Saddle } from '@skitai/saddle'
import { HttpError } from '@skitai/was'
import { type ArgBuilder, compileArgBuilder } from '../src/arg-builder.js'
import { mergeArgs, parseForm, parseQuery } from '../src/args.js'
import { readSignature } from '../src/signature.js'
import { Router } from '../src/router.js'
import { type Client, clients, closeAll } from './helpers.ts'

// ---- buildFrom ≡ build(mergeArgs(…)) ---------------------------------------------------------

interface Entry {
  handler: Function
  builder: ArgBuilder
}

/** Registration as the app does it (see arg-builder.test.ts): signature read once, builder compiled once. */
function register(router: Router<Entry>, rule: string, handler: Function): void {
  const sig = readSignature(handler)
  const last = sig.params[sig.params.length - 1]
  const entry = { handler, builder: null as unknown as ArgBuilder }
  const info = router.add(rule, entry, { optionalLastVar: last?.hasDefault === true })
  entry.builder = compileArgBuilder(sig, info)
}

type Outcome = { ok: true; values: unknown[] } | { ok: false; status: number; message: string }

function attempt(fn: () => unknown[]): Outcome {
  try {
    return { ok: true, values: fn() }
  } catch (e) {
    if (e instanceof HttpError) return { ok: false, status: e.status, message: e.message }
    throw e
  }
}

function bothWays(router: Router<Entry>, url: string, body: string | null, form = false) {
  const q = url.indexOf('?')
  const hit = router.find(q < 0 ? url : url.slice(0, q))
  assert.ok(hit !== null && hit.kind === 'match', url)
  const b = hit.value.builder
  const query = q < 0 ? null : parseQuery(url.slice(q + 1))
  // JSON bodies are ordinary objects (JSON.parse), form bodies null-prototype: both as the request makes them
  const bodyArgs = body === null ? null : form ? parseForm(body) : (JSON.parse(body) as Record<string, unknown>)
  const merged = attempt(() => b.build(mergeArgs(hit.params, query, bodyArgs)))
  const direct = attempt(() => b.buildFrom(hit.params, query, bodyArgs))
  return { merged, direct }
}

describe('ArgBuilder.buildFrom gives what build(mergeArgs(…)) gives', () => {
  const r = new Router<Entry>()
  register(r, '/u/<id>', (_was: any, id: any, a: any, b: any = 'dflt') => [id, a, b])
  register(r, '/one', (_was: any, a: any) => a)
  register(r, '/opt', (_was: any, a: any = 1) => a)
  // parameters named like Object.prototype members: a JSON body's inherited members are not arguments
  register(
    r,
    '/inh',
    // biome-ignore lint/suspicious/noShadowRestrictedNames: these names are what the test is about
    (_was: any, toString: any, hasOwnProperty: any = 'd') => [toString, hasOwnProperty],
  )
  register(r, '/all/<id>', (_was: any, id: any, { ...form }) => [id, form])
  register(r, '/picks', (_was: any, a: any, { b, c = 3, ...form }: any) => [a, b, c, form])
  register(r, '/noinput/<id>', (_was: any, id: any) => id)

  const cases: [string, string | null, boolean?][] = [
    ['/u/7?a=1', null],
    ['/u/7?a=1&b=2', null],
    ['/u/7?a=1&id=8', null],
    ['/u/7?a=1&id=8&id=9', null],
    ['/u/7', '{"a":1,"id":[8,9]}'],
    ['/u/7?id=q', '{"a":1,"id":"body"}'],
    ['/u/7?a=query', '{"a":"body"}'],
    ['/u/7?a=query&b=qb', '{"a":null}'],
    ['/u/7', 'a=f1&b=f2&id=f3', true],
    ['/u/7?a=1&zzz=2', null],
    ['/u/7?a=1', '{"zzz":2}'],
    ['/u/7?a=1&yy=1', '{"zzz":2}'],
    ['/u/7', null],
    ['/u/7', '{}'],
    ['/u/7?a=1&__proto__=x', null],
    ['/u/7?a=1&%5F%5Fproto__=x&constructor=y&prototype=z', null],
    ['/u/7?a=1', '{"constructor":1,"prototype":2}'],
    ['/u/7?a=1', '{"__proto__":{"polluted":1}}'],
    ['/one', null],
    ['/one?a=1', null],
    ['/one', '{"a":[1,2]}'],
    ['/one?int:a=5', null],
    ['/opt', null],
    ['/opt', '{}'],
    ['/opt?a=2', '{"b":1}'],
    ['/inh', '{}'],
    ['/inh', '{"toString":"t"}'],
    ['/inh?toString=q', '{}'],
    ['/inh?toString=q&hasOwnProperty=h', null],
    ['/inh', '{"toString":"t","valueOf":1}'],
    ['/all/1?a=1', '{"b":2,"id":3}'],
    ['/all/1?__proto__=1&a=1', null],
    ['/all/1', '{"constructor":1,"x":2}'],
    ['/picks?a=1&b=2', '{"d":4}'],
    ['/picks?a=1', null],
    ['/picks?b=2', null],
    ['/noinput/5?x=1', '{"y":2}'],
  ]
  for (const [url, body, form] of cases) {
    it(`${url}${body === null ? '' : ` + ${body}`}`, () => {
      const { merged, direct } = bothWays(r, url, body, form === true)
      assert.deepEqual(direct, merged)
    })
  }

  it('the matrix is not vacuous: the expected values and errors', () => {
    const val = (url: string, body: string | null = null, form = false) => bothWays(r, url, body, form).direct
    assert.deepEqual(val('/u/7?a=1&id=8&id=9'), { ok: true, values: [['7', '8', '9'], '1', undefined] })
    // URL value first, the input after it (spread when it is an array)
    assert.deepEqual(val('/u/7', '{"a":1,"id":[8,9]}'), { ok: true, values: [['7', 8, 9], 1, undefined] })
    assert.deepEqual(val('/u/7?id=q', '{"a":1,"id":"body"}'), { ok: true, values: [['7', 'body'], 1, undefined] })
    assert.deepEqual(val('/u/7?a=query', '{"a":"body"}'), { ok: true, values: ['7', 'body', undefined] })
    assert.deepEqual(val('/u/7?a=query&b=qb', '{"a":null}'), { ok: true, values: ['7', null, 'qb'] })
    assert.deepEqual(val('/u/7', 'a=f1&b=f2&id=f3', true), { ok: true, values: [['7', 'f3'], 'f1', 'f2'] })
    assert.deepEqual(val('/u/7?a=1&zzz=2'), { ok: false, status: 400, message: 'unexpected parameter: zzz' })
    assert.deepEqual(val('/u/7?a=1', '{"zzz":2}'), { ok: false, status: 400, message: 'unexpected parameter: zzz' })
    assert.deepEqual(val('/u/7'), { ok: false, status: 400, message: 'missing parameter: a' })
    assert.deepEqual(val('/u/7?a=1&%5F%5Fproto__=x&constructor=y&prototype=z'), {
      ok: true,
      values: ['7', '1', undefined],
    })
    assert.deepEqual(val('/u/7?a=1', '{"constructor":1,"prototype":2}'), { ok: true, values: ['7', '1', undefined] })
    assert.deepEqual(val('/u/7?a=1', '{"__proto__":{"polluted":1}}'), { ok: true, values: ['7', '1', undefined] })
    assert.deepEqual(val('/one?int:a=5'), { ok: true, values: [5] })
    assert.deepEqual(val('/opt'), { ok: true, values: [undefined] }, 'undefined: JavaScript applies the default')
    assert.deepEqual(val('/inh', '{}'), { ok: false, status: 400, message: 'missing parameter: toString' })
    assert.deepEqual(val('/inh?toString=q', '{}'), { ok: true, values: ['q', undefined] })
    assert.deepEqual(val('/inh', '{"toString":"t","valueOf":1}'), {
      ok: false,
      status: 400,
      message: 'unexpected parameter: valueOf',
    })
    const all = val('/all/1?a=1', '{"b":2,"id":3}')
    assert.ok(all.ok)
    assert.deepEqual(all.values[0], ['1', 3])
    assert.deepEqual({ ...(all.values[1] as object) }, { a: '1', b: 2 })
    assert.deepEqual(val('/picks?b=2'), { ok: false, status: 400, message: 'missing parameter: a' })
    assert.deepEqual(val('/noinput/5?x=1', '{"y":2}'), { ok: true, values: ['5'] }, 'no input: nothing rejected')
    assert.equal(({} as any).polluted, undefined)
  })
})

// ---- JSON POSTs and the query over the wire ----------------------------------------------------

describe('JSON POST and query arguments through the pipeline', () => {
  let list: Client[]
  before(async () => {
    const app = new Saddle(import.meta.url, { name: 'fast-json' })
    app.route('/bind', (_was, a, b = 'dflt') => ({ a, b }))
    app.route('/opt', (_was, a = 'dflt') => ({ a }))
    app.route('/same', async (was, a) => {
      const j = (await was.request.json()) as { a: unknown }
      return { a, same: j.a === a, keys: Object.keys(j) }
    })
    app.route('/reads', async (was) => ({ got: await was.request.json() }))
    app.route('/add', (_was, num1, num2) => Number(num1) + Number(num2))
    app.route('/n', (_was, n) => ({ n, type: typeof n }))
    app.route('/a', (_was, a = null) => ({ a }))
    app.route('/all', (_was, { ...form }) => Object.keys(form).sort())
    list = await clients(app)
  })
  after(() => closeAll(list))

  for (const kind of ['socket', 'inject'] as const) {
    const c = () => list.find((x) => x.kind === kind)!
    const postJson = (path: string, body: string) =>
      c().post(path, { body, headers: { 'content-type': 'application/json' } })

    it(`${kind}: an object body binds; non-object and malformed bodies are 400`, async () => {
      let r = await postJson('/bind', '{"a":{"x":1},"b":[1,2]}')
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(r.json(), { a: { x: 1 }, b: [1, 2] })
      r = await postJson('/bind?b=q', '{"a":1}')
      assert.deepEqual(r.json(), { a: 1, b: 'q' })
      r = await postJson('/bind', '{"a":1,"zz":2}')
      assert.equal(r.status, 400)
      assert.match(r.text, /unexpected parameter: zz/)
      r = await postJson('/bind', '{"b":1}')
      assert.equal(r.status, 400)
      assert.match(r.text, /missing parameter: a/)
      for (const bad of ['[1,2]', '"str"', '3', 'null']) {
        r = await postJson('/bind', bad)
        assert.equal(r.status, 400, bad)
        assert.match(r.text, /object/, bad)
      }
      r = await postJson('/bind', '{"a":')
      assert.equal(r.status, 400)
      assert.match(r.text, /malformed JSON/)
      r = await postJson('/bind', '{"__proto__":{"a":1}}')
      assert.equal(r.status, 400, 'a poisoning member is refused')
      r = await postJson('/bind', '{"a":1,"constructor":2}')
      assert.equal(r.status, 200, '`constructor` as a plain member is dropped silently')
      assert.deepEqual(r.json(), { a: 1, b: 'dflt' })
      assert.equal(({} as any).a, undefined)
    })

    it(`${kind}: an empty application/json body is no arguments (defaults apply); json() of it is a clear 400`, async () => {
      let r = await postJson('/opt', '')
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(r.json(), { a: 'dflt' })
      r = await postJson('/bind', '')
      assert.equal(r.status, 400, r.text)
      assert.match(r.text, /missing parameter: a/)
      r = await postJson('/reads', '')
      assert.equal(r.status, 400, r.text)
      assert.match(r.text, /malformed JSON body/)
      assert.deepEqual((await c().post('/opt')).json(), { a: 'dflt' }, 'a POST without any body: defaults')
    })

    it(`${kind}: a JSON-RPC 2.0 body posted as application/json is still a JSON-RPC call`, async () => {
      const r = await postJson('/', '{"jsonrpc":"2.0","method":"add","params":[4,10],"id":7}')
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(r.json(), { jsonrpc: '2.0', result: 14, id: 7 })
      const byName = await postJson('/', '{"jsonrpc":"2.0","method":"bind","params":{"a":5},"id":"x"}')
      assert.deepEqual(byName.json(), { jsonrpc: '2.0', result: { a: 5, b: 'dflt' }, id: 'x' })
    })

    it(`${kind}: was.request.json() after binding gives the same parsed object`, async () => {
      let r = await postJson('/same', '{"a":{"deep":[1]}}')
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(r.json(), { a: { deep: [1] }, same: true, keys: ['a'] })
      r = await postJson('/reads', '{"k":1,"anything":2}')
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(r.json(), { got: { k: 1, anything: 2 } }, 'a handler without input reads the body itself')
      r = await postJson('/reads', '[1,2]')
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(r.json(), { got: [1, 2] })
      r = await postJson('/reads', '{"k":')
      assert.equal(r.status, 400)
      assert.match(r.text, /malformed JSON/)
    })

    it(`${kind}: query prefixes, escapes and forbidden names`, async () => {
      assert.deepEqual((await c().get('/n?int:n=3')).json(), { n: 3, type: 'number' })
      assert.deepEqual((await c().get('/n?int%3An=3')).json(), { n: 3, type: 'number' })
      let r = await c().get('/a?%5F%5Fproto__=1&a=2')
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(r.json(), { a: '2' })
      r = await c().get('/a?__proto__=1&a=2')
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(r.json(), { a: '2' })
      r = await c().get('/a?constructor=1')
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(r.json(), { a: null })
      assert.deepEqual((await c().get('/a?a=1&a=2')).json(), { a: ['1', '2'] })
      assert.deepEqual((await c().get('/a?a=%20x')).json(), { a: ' x' })
      assert.deepEqual((await c().get('/a?a=x+y')).json(), { a: 'x y' })
      assert.deepEqual((await c().get('/all?%5F%5Fproto__=1&prototype=2&b=1&a=2')).json(), ['a', 'b'])
      r = await c().get('/a?b=1')
      assert.equal(r.status, 400)
      assert.match(r.text, /unexpected parameter: b/)
      assert.equal(({} as any)['1'], undefined)
      assert.deepEqual(Object.keys(Object.prototype), [])
    })
  }
})

describe('parseQuery directly', () => {
  it('prefixes, escapes, repeats and forbidden names', () => {
    assert.deepEqual({ ...parseQuery('int:n=3') }, { n: 3 })
    assert.deepEqual({ ...parseQuery('int%3An=3') }, { n: 3 })
    assert.deepEqual({ ...parseQuery('%5F%5Fproto__=1&a=2') }, { a: '2' })
    assert.deepEqual({ ...parseQuery('__proto__=1&a=2') }, { a: '2' })
    assert.deepEqual({ ...parseQuery('constructor=1') }, {})
    assert.deepEqual({ ...parseQuery('a=1&a=2') }, { a: ['1', '2'] })
    assert.deepEqual({ ...parseQuery('a=%20x') }, { a: ' x' })
    assert.equal(parseQuery('a=1').toString, undefined, 'no inherited members on the fast path either')
  })
})
