import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { HttpError } from '@skitai/was'
import { transform } from 'esbuild'
import { type ArgBuilder, compileArgBuilder } from '../src/arg-builder.js'
import { mergeArgs, parseForm, parseQuery } from '../src/args.js'
import { readSignature, signatureStats } from '../src/signature.js'
import { Router } from '../src/router.js'

interface Entry {
  handler: Function
  builder: ArgBuilder
}

/** Registration as the app does it: signature read once, builder compiled once, rule added once. */
function register(router: Router<Entry>, rule: string, handler: Function, params?: string[]): Entry {
  const sig = readSignature(handler, params)
  const last = sig.params[sig.params.length - 1]
  // The router's value is the app's route object; it gets its builder once the rule is parsed.
  const entry = { handler, builder: null as unknown as ArgBuilder }
  const info = router.add(rule, entry, { optionalLastVar: last?.hasDefault === true })
  entry.builder = compileArgBuilder(sig, info)
  return entry
}

/** Small request pipeline: route → parse → merge → build → call; answers the status or the sorted args keys. */
function request(
  router: Router<Entry>,
  url: string,
  body?: { form?: string; json?: Record<string, unknown> },
): { status: number; keys?: string; result?: unknown; message?: string } {
  const q = url.indexOf('?')
  const hit = router.find(q < 0 ? url : url.slice(0, q))
  if (hit === null) return { status: 404 }
  if (hit.kind === 'redirect') return { status: hit.status, message: hit.location }
  const { handler, builder } = hit.value
  try {
    const query = parseQuery(q < 0 ? '' : url.slice(q + 1))
    const bodyArgs = body?.form !== undefined ? parseForm(body.form) : (body?.json ?? null)
    const args = mergeArgs(hit.params, query, bodyArgs)
    const built = builder.build(args)
    for (const k of Object.keys(builder.defaults)) if (args[k] === undefined) args[k] = builder.defaults[k]
    const result = handler({ request: { args } }, ...built)
    return { status: 200, keys: Object.keys(args).sort().join(' '), result }
  } catch (e) {
    if (e instanceof HttpError) return { status: e.status, message: e.message }
    throw e
  }
}

function matrixRouter(): Router<Entry> {
  const r = new Router<Entry>()
  register(r, '/do', (_was: any) => 'do')
  register(r, '/do2', (_was: any, a: any) => ({ a }))
  register(r, '/do3/<u>', (_was: any, { ...form }) => form)
  register(r, '/do4/<u>', (_was: any, u: any, a: any, b: any) => ({ u, a, b }))
  register(r, '/do5/<u>', (_was: any, u: any, a: any) => ({ u, a }))
  return r
}

describe('argument builder: the matrix of issue 3', () => {
  const r = matrixRouter()
  const cases: [string, Parameters<typeof request>[2], number, string?][] = [
    ['/do', undefined, 200, ''],
    ['/do?a=1', undefined, 200, 'a'],
    ['/do2', undefined, 400],
    ['/do2?a=1', undefined, 200, 'a'],
    ['/do2?a=1&b=1', undefined, 400],
    ['/do2?a=1', { form: 'b=1' }, 400],
    ['/do2', { json: { a: 1 } }, 200, 'a'],
    ['/do3/1', { form: 'a=1' }, 200, 'a u'],
    ['/do4/1?a=1', { form: 'b=1' }, 200, 'a b u'],
    ['/do5/1?a=1', { json: { b: 1 } }, 400],
  ]
  for (const [url, body, status, keys] of cases) {
    it(`${body ? 'POST' : 'GET'} ${url}${body ? ` ${JSON.stringify(body)}` : ''} → ${keys === undefined ? status : JSON.stringify(keys)}`, () => {
      const res = request(r, url, body)
      assert.equal(res.status, status, res.message)
      if (keys !== undefined) assert.equal(res.keys, keys)
    })
  }

  it('the 400s name the parameter', () => {
    assert.equal(request(r, '/do2').message, 'missing parameter: a')
    assert.equal(request(r, '/do2?a=1&b=1').message, 'unexpected parameter: b')
    assert.equal(request(r, '/do2?a=1', { form: 'b=1' }).message, 'unexpected parameter: b')
    assert.equal(request(r, '/do5/1?a=1', { json: { b: 1 } }).message, 'unexpected parameter: b')
  })

  it('handlers receive the values by name, with their types', () => {
    assert.deepEqual(request(r, '/do2', { json: { a: 1 } }).result, { a: 1 })
    assert.deepEqual(request(r, '/do4/x_y?a=1', { form: 'int:b=2' }).result, { u: 'x y', a: '1', b: 2 })
    assert.deepEqual({ ...(request(r, '/do3/1', { form: 'a=1' }).result as object) }, { u: '1', a: '1' })
  })
})

describe('argument builder', () => {
  it('defaults: undefined is passed so JavaScript applies the default; literal ones are listed', () => {
    const r = new Router<Entry>()
    const e = register(r, '/hello/<int:num>', (_was: any, num = 8) => `num is ${num}`)
    assert.deepEqual({ ...e.builder.defaults }, { num: 8 })
    assert.deepEqual(request(r, '/hello/100'), { status: 200, keys: 'num', result: 'num is 100' })
    assert.deepEqual(request(r, '/hello'), { status: 200, keys: 'num', result: 'num is 8' })
    const f = register(r, '/now', (_was: any, at = Date.now()) => typeof at)
    assert.deepEqual({ ...f.builder.defaults }, {}, 'a non-literal default is not listed')
    assert.equal(request(r, '/now').result, 'number')
  })

  it('optional last variable: /owners/<oid> with (was, oid = null) serves /owners and /owners/54', () => {
    const r = new Router<Entry>()
    register(r, '/owners/<oid>', (_was: any, oid = null) => ({ oid }))
    assert.deepEqual(request(r, '/owners').result, { oid: null })
    assert.deepEqual(request(r, '/owners/54').result, { oid: '54' })
    assert.equal(request(r, '/owners/').status, 404)
    const root = new Router<Entry>()
    register(root, '/<id>', (_was: any, id = null) => ({ id }))
    assert.equal(request(root, '/').status, 404, 'not for a root rule')
  })

  it('trailing slash through the pipeline: 301 one way, 404 the other', () => {
    const r = new Router<Entry>()
    register(r, '/x/', (_was: any) => 'x')
    register(r, '/y', (_was: any) => 'y')
    assert.deepEqual(request(r, '/x'), { status: 301, message: '/x/' })
    assert.equal(request(r, '/y/').status, 404)
  })

  it('type mismatch in the URL → no match (404)', () => {
    const r = new Router<Entry>()
    register(r, '/n/<int:n>', (_was: any, n: number) => n + 1)
    assert.equal(request(r, '/n/41').result, 42)
    for (const bad of ['-1', '1.5', '1e3', 'x']) assert.equal(request(r, `/n/${bad}`).status, 404, bad)
  })

  it('takesInput: false only when the handler takes was and its URL variables', () => {
    const r = new Router<Entry>()
    assert.equal(register(r, '/a', (_was: any) => 1).builder.takesInput, false)
    assert.equal(register(r, '/b/<id>', (_was: any, id: any) => id).builder.takesInput, false)
    assert.equal(register(r, '/c/<id>', (_was: any, id: any, q = '') => [id, q]).builder.takesInput, true)
    assert.equal(register(r, '/d', (_was: any, { ...form }) => form).builder.takesInput, true)
    assert.equal(register(r, '/e', (_was: any, kwargs: any) => kwargs).builder.takesInput, true)
    assert.equal(request(r, '/b/7?utm_source=x').result, '7', 'inputs ignored, not rejected')
  })

  it('catch-all named form gets every value no named parameter took (like **form)', () => {
    const r = new Router<Entry>()
    register(r, '/f/<u>', (_was: any, a: any, form: any) => ({ a, form: { ...form } }))
    assert.deepEqual(request(r, '/f/1?a=x&b=y&c=z').result, { a: 'x', form: { u: '1', b: 'y', c: 'z' } })
  })

  it('catch-all { picks, ...form }: picks by name (required unless defaulted), the rest in form', () => {
    const r = new Router<Entry>()
    register(r, '/g', (_was: any, { userid, lang = 'en', ...form }: any) => ({ userid, lang, form: { ...form } }))
    assert.deepEqual(request(r, '/g?userid=u1&x=1').result, { userid: 'u1', lang: 'en', form: { x: '1' } })
    assert.deepEqual(request(r, '/g?userid=u1&lang=ko').result, { userid: 'u1', lang: 'ko', form: {} })
    assert.deepEqual(request(r, '/g?x=1'), { status: 400, message: 'missing parameter: userid' })
  })

  it('missing parameter is reported before unexpected ones', () => {
    const r = new Router<Entry>()
    register(r, '/m', (_was: any, a: any, b: any) => [a, b])
    assert.equal(request(r, '/m?a=1&z=2').message, 'missing parameter: b')
  })

  it('a URL variable the handler does not take is a registration error naming it', () => {
    const r = new Router<Entry>()
    assert.throws(
      () => register(r, '/x/<uid>/<int:pid>', (_was: any, uid: any) => uid),
      /route '\/x\/<uid>\/<int:pid>': the handler does not take the URL variable 'pid'/,
    )
    register(r, '/y/<uid>', (_was: any, { ...form }) => form) // caught by the catch-all: fine
  })

  it('a parameter renamed by esbuild/tsx (it shadows an outer name) is diagnosed at registration', async () => {
    // esbuild renames `name` → `name2` here because the module also declares `name` (evanw/esbuild#2343).
    const { code } = await transform('const name = 1; export const h = (was, name) => name', {
      loader: 'ts',
      format: 'esm',
    })
    assert.match(code, /name2/)
    const m = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)
    const r = new Router<Entry>()
    assert.throws(
      () => register(r, '/hello/<name>', m.h),
      /does not take the URL variable 'name'.*has 'name2' — .*esbuild\/tsx, it renamed 'name'/,
    )
    register(r, '/hello2/<name>', m.h, ['name']) // the documented way out
    assert.equal(request(r, '/hello2/x_y').result, 'x y')
  })

  it('positional (RPC): URL variables by name, then values in order; too many / missing → 400', () => {
    const r = new Router<Entry>()
    const add = register(r, '/add', (_was: any, num1: any, num2: any) => num1 + num2).builder
    assert.deepEqual(add.positional([4, 10], {}), [4, 10])
    assert.throws(
      () => add.positional([1, 2, 3], {}),
      (e: any) => e.status === 400 && /too many parameters/.test(e.message),
    )
    assert.throws(
      () => add.positional([1], {}),
      (e: any) => e.status === 400 && e.message === 'missing parameter: num2',
    )
    const u = register(r, '/u/<int:uid>', (_was: any, x: any, uid: any, y = 2) => [x, uid, y]).builder
    assert.deepEqual(u.positional(['x'], { uid: 7 }), ['x', 7, undefined])
    assert.deepEqual(u.positional(['x', 'y'], { uid: 7 }), ['x', 7, 'y'])
    assert.deepEqual({ ...u.nameValues(['x'], { uid: 7 }) }, { uid: 7, x: 'x' })
    const c = register(r, '/c', (_was: any, a: any, form: any) => [a, form]).builder
    // (not `const [a, form]`: esbuild would then rename the handler's `form` above to `form2`, see below)
    const [first, catchAll] = c.positional([1], {}) as [number, object]
    assert.equal(first, 1)
    assert.deepEqual({ ...catchAll }, {})
    assert.deepEqual(c.names, ['a'])
  })

  it('names: bound parameters then picks', () => {
    const r = new Router<Entry>()
    const b = register(r, '/n', (_was: any, a: any, { p, q = 1, ...form }: any) => [a, p, q, form]).builder
    assert.deepEqual(b.names, ['a', 'p', 'q'])
    assert.equal(b.hasCatchAll, true)
    assert.deepEqual({ ...b.defaults }, { q: 1 })
  })

  it('explicit params for an unreadable handler', () => {
    const r = new Router<Entry>()
    const bound = ((_was: any, a: any, b: any) => Number(a) + Number(b)).bind(null)
    assert.throws(() => register(r, '/add', bound), /declare them with the route option params/)
    register(r, '/add2', bound, ['num1', 'num2'])
    assert.equal(request(r, '/add2?num1=1&num2=2').result, 3)
    assert.equal(request(r, '/add2?num1=1').message, 'missing parameter: num2')
  })

  it('sources are read once per registration, never per request', () => {
    const before = signatureStats.reads
    const r = matrixRouter()
    register(r, '/hello/<int:num>', (_was: any, num = 8) => num)
    assert.equal(signatureStats.reads - before, 6)
    for (let i = 0; i < 500; i++) {
      request(r, '/do4/1?a=1', { form: 'b=1' })
      request(r, '/do2?a=1')
      request(r, `/hello/${i}`)
      request(r, '/do5/1?a=1', { json: { b: 1 } })
    }
    assert.equal(signatureStats.reads - before, 6)
  })

  it('build allocates only the argument array for a handler without catch-all', () => {
    const r = new Router<Entry>()
    const b = register(r, '/k', (_was: any, a: any, b = 2) => [a, b]).builder
    const args = mergeArgs({}, parseQuery('a=1'), null)
    const x = b.build(args)
    assert.deepEqual(x, ['1', undefined])
    assert.notEqual(b.build(args), x, 'a fresh array per call (handlers may keep it)')
  })
})
