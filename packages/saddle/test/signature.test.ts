import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { transform } from 'esbuild'
import ts from 'typescript'
import { readSignature, signatureStats } from '../src/signature.js'

/** name → hasDefault / literal default, compactly: 'a', 'b=8', 'c=?' (non-literal default). */
function shape(fn: Function, explicit?: string[]): { params: string[]; catchAll: unknown } {
  const sig = readSignature(fn, explicit)
  const params = sig.params.map((p) =>
    p.hasDefault ? ('literalDefault' in p ? `${p.name}=${JSON.stringify(p.literalDefault)}` : `${p.name}=?`) : p.name,
  )
  const c = sig.catchAll
  const catchAll =
    c === null
      ? null
      : c.kind === 'named'
        ? `named:${c.name}`
        : `rest:${c.pickParams.map((p) => (p.hasDefault ? `${p.name}=` : p.name)).join(',')}`
  return { params, catchAll }
}

async function importCode(code: string): Promise<any> {
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)
}

const TS_SOURCE = `
export const registered = []
const route = (path) => (fn, ctx) => { registered.push([path, ctx.name, fn]) }
export class Api {
  @route('/deco')
  async handler(was: unknown, num: number = 8, name: string, opts: { a: number } = { a: 1 }): Promise<string> {
    return String(num) + name + opts.a
  }
  @route('/plain')
  plain(was: unknown, { q, ...form }: Record<string, string>): void {}
}
export const arrow = async (was: unknown, a: string, b: number = 3, when: Date = new Date()): Promise<number> => b
export function fn<T>(this: unknown, was: unknown, kwargs: Record<string, T>) {}
export enum Color { Red = 1 }
export const withEnum = (was: unknown, color: Color = Color.Red, list: string[] = ['x', 'y']) => color
`

// esbuild inlines enum members (`color = 1`, a literal default); tsc keeps `Color.Red` (not a literal).
function checkTsModule(m: any, colorDefault: string): void {
  assert.deepEqual(
    m.registered.map((r: any) => [r[0], r[1]]),
    [
      ['/deco', 'handler'],
      ['/plain', 'plain'],
    ],
  )
  assert.deepEqual(shape(m.registered[0][2]), { params: ['num=8', 'name', 'opts={"a":1}'], catchAll: null })
  assert.deepEqual(shape(m.registered[1][2]), { params: [], catchAll: 'rest:q' })
  assert.deepEqual(shape(m.arrow), { params: ['a', 'b=3', 'when=?'], catchAll: null })
  assert.deepEqual(shape(m.fn), { params: [], catchAll: 'named:kwargs' })
  assert.deepEqual(shape(m.withEnum), { params: [colorDefault, 'list=["x","y"]'], catchAll: null })
}

describe('readSignature', () => {
  it('arrow functions with and without parens, async arrows', () => {
    assert.deepEqual(
      shape((was: any) => was),
      { params: [], catchAll: null },
    )
    // built from source text: tsx would add parens to a written `was => 1`
    const noParens = new Function('return was => 1')()
    assert.deepEqual(shape(noParens), { params: [], catchAll: null })
    assert.deepEqual(
      shape(async (_was: any, a: any, b = 2) => a + b),
      { params: ['a', 'b=2'], catchAll: null },
    )
    assert.deepEqual(shape(new Function('return async was => 1')()), { params: [], catchAll: null })
    assert.deepEqual(
      shape(() => 'hi'),
      { params: [], catchAll: null },
    )
  })

  it('function declarations, expressions, async and generator functions', () => {
    function decl(_was: any, num1: any, num2: any) {
      return num1 + num2
    }
    const expr = function named(_was: any, x = 'a') {
      return x
    }
    async function asy(_w: any, id: any) {
      return id
    }
    function* gen(_w: any, n = 3) {
      yield n
    }
    assert.deepEqual(shape(decl), { params: ['num1', 'num2'], catchAll: null })
    assert.deepEqual(shape(expr), { params: ['x="a"'], catchAll: null })
    assert.deepEqual(shape(asy), { params: ['id'], catchAll: null })
    assert.deepEqual(shape(gen), { params: ['n=3'], catchAll: null })
    assert.deepEqual(shape(new Function('was', 'a', 'return a')), { params: ['a'], catchAll: null })
  })

  it('class and object methods: plain, async, generator, async generator, private, computed, static', () => {
    class C {
      m(_was: any, a: any) {
        return a
      }
      async am(_was: any, b = null) {
        return b
      }
      *gm(_was: any, c = -1.5) {
        yield c
      }
      async *agm(_was: any, d = `t`) {
        yield d
      }
      ['computed name'](_was: any, e: any) {
        return e
      }
      static st(_was: any, f = true) {
        return f
      }
      #priv(_was: any, g: any) {
        return g
      }
      get privRef() {
        return this.#priv
      }
    }
    const o = {
      async om(_was: any, h = [1, 'x', null, { k: [false] }]) {
        return h
      },
    }
    assert.deepEqual(shape(C.prototype.m), { params: ['a'], catchAll: null })
    assert.deepEqual(shape(C.prototype.am), { params: ['b=null'], catchAll: null })
    assert.deepEqual(shape(C.prototype.gm), { params: ['c=-1.5'], catchAll: null })
    assert.deepEqual(shape(C.prototype.agm), { params: ['d="t"'], catchAll: null })
    assert.deepEqual(shape(C.prototype['computed name']), { params: ['e'], catchAll: null })
    assert.deepEqual(shape(C.st), { params: ['f=true'], catchAll: null })
    assert.deepEqual(shape(new C().privRef), { params: ['g'], catchAll: null })
    assert.deepEqual(shape(o.om), { params: ['h=[1,"x",null,{"k":[false]}]'], catchAll: null })
    // methods whose names are keywords of method syntax
    const kw = new Function(
      'return { get(was, id) {}, set(was, v = 1) {}, static(was, s) {}, async(was, a) {}, async get2(was, g) {} }',
    )()
    assert.deepEqual(shape(kw.get), { params: ['id'], catchAll: null })
    assert.deepEqual(shape(kw.set), { params: ['v=1'], catchAll: null })
    assert.deepEqual(shape(kw.static), { params: ['s'], catchAll: null })
    assert.deepEqual(shape(kw.async), { params: ['a'], catchAll: null })
    assert.deepEqual(shape(kw.get2), { params: ['g'], catchAll: null })
  })

  it('getters are not handlers', () => {
    const getter = Object.getOwnPropertyDescriptor(
      class {
        get x() {
          return 1
        }
      }.prototype,
      'x',
    )!.get!
    assert.throws(() => readSignature(getter), /is a getter, not a method/)
  })

  it('TC39-decorated class methods and type annotations, as compiled by tsx (this very file)', () => {
    const seen: Function[] = []
    const route = (_path: string) => (fn: Function, _ctx: ClassMethodDecoratorContext) => {
      seen.push(fn)
    }
    class Api {
      @route('/x')
      async handler(_was: unknown, num: number = 8, label?: string): Promise<string> {
        return `${num}${label}`
      }
    }
    assert.equal(typeof Api, 'function')
    assert.equal(seen.length, 1)
    assert.deepEqual(shape(seen[0]), { params: ['num=8', 'label'], catchAll: null })
  })

  it('TypeScript output of esbuild (decorators lowered, annotations stripped, defaults kept)', async () => {
    const { code } = await transform(TS_SOURCE, { loader: 'ts', target: 'es2022', format: 'esm' })
    assert.match(code, /__decorate|__decorateElement|__runInitializers/, 'decorators really were lowered')
    checkTsModule(await importCode(code), 'color=1')
  })

  it('TypeScript output of typescript.transpileModule (ES2022, TC39 decorators)', async () => {
    const out = ts.transpileModule(TS_SOURCE, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    })
    assert.match(out.outputText, /__esDecorate/)
    checkTsModule(await importCode(out.outputText), 'color=?')
  })

  it('literal defaults are captured as values; non-literal ones only as hasDefault', () => {
    const k = 5
    const sig = readSignature(
      (
        _was: any,
        a = 'x',
        b = 1,
        c = false,
        d = null,
        e = [1, 2],
        f = { g: { h: 'i' } },
        g = k,
        h = Date.now(),
        i = /re/,
        j = `x${k}`,
        l = undefined,
      ) => [a, b, c, d, e, f, g, h, i, j, l],
    )
    const byName = Object.fromEntries(sig.params.map((p) => [p.name, p]))
    assert.equal(byName.a.literalDefault, 'x')
    assert.equal(byName.b.literalDefault, 1)
    assert.equal(byName.c.literalDefault, false)
    assert.equal(byName.d.literalDefault, null)
    assert.deepEqual(byName.e.literalDefault, [1, 2])
    assert.deepEqual(byName.f.literalDefault, { g: { h: 'i' } })
    assert.ok(Object.isFrozen(byName.f.literalDefault), 'shared defaults are frozen')
    for (const n of ['g', 'h', 'i', 'j', 'l']) {
      assert.equal(byName[n].hasDefault, true, n)
      assert.equal('literalDefault' in byName[n], false, n)
    }
  })

  it('the catch-all: { a, b = 1, ...form } last, or a last parameter named form/args/kwargs', () => {
    assert.deepEqual(
      shape((_was: any, x: any, { userid, lang = 'en', ...form }: any) => [x, userid, lang, form]),
      {
        params: ['x'],
        catchAll: 'rest:userid,lang=',
      },
    )
    assert.deepEqual(
      shape((_was: any, { ...form }: any) => form),
      { params: [], catchAll: 'rest:' },
    )
    assert.deepEqual(
      shape((_was: any, { 'user-id': uid, ...rest }: any) => [uid, rest]),
      {
        params: [],
        catchAll: 'rest:user-id',
      },
    )
    assert.deepEqual(
      shape((_was: any, { ...form } = {}) => form),
      { params: [], catchAll: 'rest:' },
    )
    assert.deepEqual(
      shape((_was: any, a: any, form: any) => [a, form]),
      { params: ['a'], catchAll: 'named:form' },
    )
    assert.deepEqual(
      shape((_was: any, args: any) => args),
      { params: [], catchAll: 'named:args' },
    )
    assert.deepEqual(
      shape((_was: any, kwargs = {}) => kwargs),
      { params: [], catchAll: 'named:kwargs' },
    )
    assert.deepEqual(
      shape((_was: any, form: any, b: any) => [form, b]),
      {
        params: ['form', 'b'],
        catchAll: null,
      },
    )
  })

  it('`was` is the first parameter whatever its name or shape', () => {
    assert.deepEqual(
      shape(({ request }: any, id: any) => [request, id]),
      { params: ['id'], catchAll: null },
    )
    assert.deepEqual(
      shape((w = {}, id = 1) => [w, id]),
      { params: ['id=1'], catchAll: null },
    )
  })

  it('errors name the problem', () => {
    assert.throws(
      () => readSignature((_was: any, ...rest: any[]) => rest),
      /handler \(anonymous\): rest parameter '\.\.\.rest' is not allowed/,
    )
    assert.throws(() => readSignature((...all: any[]) => all), /rest parameter '\.\.\.all'/)
    function h(_was: any, { a, b }: any) {
      return [a, b]
    }
    assert.throws(() => readSignature(h), /handler 'h': destructured parameter 2 .* must end with a rest element/)
    assert.throws(
      () => readSignature((_was: any, { ...form }: any, _b: any) => form),
      /only the last parameter may be an object pattern/,
    )
    assert.throws(() => readSignature((_was: any, [a]: any) => a), /parameter 2 is an ArrayPattern/)
    assert.throws(() => readSignature((_was: any, { a: { b }, ...f }: any) => [b, f]), /may only pick plain names/)
    assert.throws(() => readSignature(new Function('was', 'a', 'a', 'return a')), /parameter 'a' appears twice/)
    assert.throws(
      () => readSignature(new Function('was', 'constructor', 'return 1')),
      /may not be called 'constructor'/,
    )
    assert.throws(() => readSignature('nope' as any), /must be a function/)
    assert.throws(() => readSignature(class Page {}), /handler 'Page' is a class/)
  })

  it('unreadable sources need explicit params; explicit params work and keep readable defaults', () => {
    const bound = function add(this: any, _was: any, a: any, b: any) {
      return a + b
    }.bind(null)
    assert.throws(() => readSignature(bound), /cannot read the parameters of handler 'bound add'.*params: \[/)
    assert.throws(() => readSignature(Math.max), /cannot read the parameters of handler 'max'/)
    assert.deepEqual(shape(bound, ['num1', 'num2']), { params: ['num1', 'num2'], catchAll: null })
    const minified = new Function('return (e,t,n=8)=>t+n')()
    assert.deepEqual(shape(minified, ['num1', 'num2']), { params: ['num1', 'num2=8'], catchAll: null })
    assert.deepEqual(shape(minified, ['a', 'form']), { params: ['a'], catchAll: 'named:form' })
    assert.deepEqual(shape(bound, []), { params: [], catchAll: null })
    assert.throws(() => readSignature(bound, ['a', 'a']), /lists 'a' twice/)
    assert.throws(() => readSignature(bound, ['__proto__']), /may not be called '__proto__'/)
    assert.throws(() => readSignature(bound, [''] as any), /array of non-empty strings/)
  })

  it('signatureStats.reads counts every call', () => {
    const before = signatureStats.reads
    readSignature((_was: any) => 1)
    readSignature((_was: any, a: any) => a)
    assert.equal(signatureStats.reads, before + 2)
  })
})
