import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseRule, Router } from '../src/router.js'

/** No member of Object.prototype is reachable (what a null-prototype object promises; bags keep it). */
function assertNoInheritedMembers(o: object): void {
  for (const k of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__', '__defineGetter__']) {
    assert.equal(k in o && !Object.hasOwn(o, k), false, `inherited ${k}`)
  }
}

function params(r: ReturnType<Router<string>['find']>): Record<string, unknown> | string | null {
  if (r === null) return null
  if (r.kind === 'redirect') return `redirect ${r.status} ${r.location}`
  return { value: r.value, ...r.params }
}

describe('parseRule', () => {
  it('splits a rule into text and typed variables', () => {
    const info = parseRule('/download/<int:major>/<path:rest>')
    assert.deepEqual(info.vars, [
      { name: 'major', type: 'int' },
      { name: 'rest', type: 'path' },
    ])
    assert.equal(info.literalPrefix, '/download/')
    assert.equal(info.isStatic, false)
    assert.deepEqual(info.parts, [
      { kind: 'text', value: '/download/' },
      { kind: 'var', name: 'major', type: 'int' },
      { kind: 'text', value: '/' },
      { kind: 'var', name: 'rest', type: 'path' },
    ])
    const s = parseRule('/about/team')
    assert.equal(s.isStatic, true)
    assert.equal(s.literalPrefix, '/about/team')
    assert.deepEqual(parseRule('/hello/<name>').vars, [{ name: 'name', type: 'string' }])
    assert.deepEqual(parseRule('/p/<float:p>').vars, [{ name: 'p', type: 'float' }])
    assert.equal(parseRule('/<id>').literalPrefix, '/')
  })

  it('throws errors that name the problem', () => {
    assert.throws(() => parseRule('/x/<bad:v>'), /unknown variable type 'bad'/)
    assert.throws(() => parseRule('/x/<path:p>/y'), /<path:> variable must be the last/)
    assert.throws(() => parseRule('/x/<path:p>/<q>'), /<path:> variable must be the last/)
    assert.throws(() => parseRule('/x/<a>/<a>'), /duplicate variable 'a'/)
    assert.throws(() => parseRule('/x/<a'), /without a closing/)
    assert.throws(() => parseRule('/x/a>'), /without a matching/)
    assert.throws(() => parseRule('/x/<1a>'), /bad variable name '1a'/)
    assert.throws(() => parseRule('/x/<a><b>'), /need text between them/)
    assert.throws(() => parseRule('x'), /must be a string starting with '\/'/)
  })
})

describe('Router', () => {
  it('finds static rules by one Map lookup and returns the same result object each time', () => {
    const r = new Router<string>()
    r.add('/', 'root')
    r.add('/about', 'about')
    const a = r.find('/about')
    assert.equal(params(a) && (a as any).value, 'about')
    assert.equal(r.find('/about'), a, 'a static hit allocates nothing: the precomputed result is returned')
    assert.deepEqual(params(r.find('/')), { value: 'root' })
    assert.equal(r.find('/About'), null, 'case-sensitive')
    assert.equal(r.size, 2)
  })

  it('int: digits only; -1, 1.5, 1e3, empty and huge values do not match', () => {
    const r = new Router<string>()
    r.add('/hello/<int:num>', 'int')
    assert.deepEqual(params(r.find('/hello/100')), { value: 'int', num: 100 })
    assert.deepEqual(params(r.find('/hello/007')), { value: 'int', num: 7 })
    for (const bad of ['-1', '1.5', '1e3', '12a', '%20', '99999999999999999999', '+1']) {
      assert.equal(r.find(`/hello/${bad}`), null, bad)
    }
    assert.equal(r.find('/hello/'), null)
    assert.equal(r.find('/hello'), null)
    assert.equal(typeof (r.find('/hello/5') as any).params.num, 'number')
  })

  it('float: digits with an optional fraction (ints match); signs and exponents do not', () => {
    const r = new Router<string>()
    r.add('/price/<float:p>', 'f')
    assert.deepEqual(params(r.find('/price/1.5')), { value: 'f', p: 1.5 })
    assert.deepEqual(params(r.find('/price/10')), { value: 'f', p: 10 })
    for (const bad of ['-1.5', '.5', '1.', '1e3', 'abc', 'NaN', 'Infinity'])
      assert.equal(r.find(`/price/${bad}`), null, bad)
  })

  it('string: URL-decoded with _ → space; %5F stays an underscore', () => {
    const r = new Router<string>()
    r.add('/hello/<name>', 's')
    assert.deepEqual(params(r.find('/hello/Your_Name')), { value: 's', name: 'Your Name' })
    assert.deepEqual(params(r.find('/hello/caf%C3%A9%20au%5Flait')), { value: 's', name: 'café au_lait' })
    assert.equal(r.find('/hello/a/b'), null, 'a plain variable is one segment')
    assert.deepEqual(params(r.find('/hello/a%2Fb')), { value: 's', name: 'a/b' })
  })

  it('undecodable percent-encoding in a variable → no match, never a throw', () => {
    const r = new Router<string>()
    r.add('/hello/<name>', 's')
    r.add('/n/<int:n>', 'n')
    r.add('/f/<path:p>', 'p')
    for (const p of ['/hello/%E0%A4%A', '/hello/%zz', '/hello/%', '/n/%E0', '/f/a/%C3(']) {
      assert.equal(r.find(p), null, p)
    }
  })

  it('path: last, may contain /, decoded', () => {
    const r = new Router<string>()
    r.add('/download/<int:major>/<path:rest>', 'dl')
    assert.deepEqual(params(r.find('/download/2/a/b/c%20d.txt')), { value: 'dl', major: 2, rest: 'a/b/c d.txt' })
    assert.deepEqual(params(r.find('/download/2/x_y')), { value: 'dl', major: 2, rest: 'x_y' }, 'no _ → space in path')
    assert.equal(r.find('/download/2/'), null, 'a path variable is not empty')
    assert.equal(r.find('/download/x/a'), null)
  })

  it('literal text around variables and characters special to path-to-regexp are matched literally', () => {
    const r = new Router<string>()
    r.add('/file-<name>.txt', 'f')
    r.add('/odd(1)/<int:n>/{x}*', 'o')
    assert.deepEqual(params(r.find('/file-report.txt')), { value: 'f', name: 'report' })
    assert.deepEqual(params(r.find('/odd(1)/3/{x}*')), { value: 'o', n: 3 })
    assert.equal(r.find('/odd1/3/x'), null)
  })

  it('optional last variable: /owners/<oid> also serves /owners', () => {
    const r = new Router<string>()
    r.add('/owners/<oid>', 'o', { optionalLastVar: true })
    assert.deepEqual(params(r.find('/owners')), { value: 'o' })
    assert.deepEqual(params(r.find('/owners/54')), { value: 'o', oid: '54' })
    assert.equal(r.find('/owners/'), null, "'/owners/' is not a rule")
    assert.equal(r.find('/owners/54/'), null)
    const p = r.find('/owners') as any
    assert.equal('oid' in p.params, false, 'a left-out variable is absent, so the default applies')
  })

  it('optional last variable with variables before it and text after', () => {
    const r = new Router<string>()
    r.add('/u/<int:uid>/posts/<int:pid>', 'p', { optionalLastVar: true })
    r.add('/doc/<name>.html', 'd', { optionalLastVar: true })
    assert.deepEqual(params(r.find('/u/1/posts')), { value: 'p', uid: 1 })
    assert.deepEqual(params(r.find('/u/1/posts/2')), { value: 'p', uid: 1, pid: 2 })
    assert.equal(r.find('/u/1/posts/x'), null, 'a given optional value must still fit its type')
    assert.deepEqual(params(r.find('/doc.html')), { value: 'd' })
    assert.deepEqual(params(r.find('/doc/intro.html')), { value: 'd', name: 'intro' })
  })

  it('optional last variable before the trailing slash: /owners/<oid>/ also serves /owners/', () => {
    const r = new Router<string>()
    r.add('/owners/<oid>/', 'o', { optionalLastVar: true })
    assert.deepEqual(params(r.find('/owners/')), { value: 'o' })
    assert.deepEqual(params(r.find('/owners/54/')), { value: 'o', oid: '54' })
    assert.equal(params(r.find('/owners/54')), 'redirect 301 /owners/54/')
    assert.equal(params(r.find('/owners')), 'redirect 301 /owners/')
  })

  it('optional last variable is not applied to a root rule /<id>', () => {
    const r = new Router<string>()
    r.add('/<id>', 'id', { optionalLastVar: true })
    assert.equal(r.find('/'), null)
    assert.deepEqual(params(r.find('/7')), { value: 'id', id: '7' })
  })

  it('trailing slash: /x → 301 to /x/ when only /x/ exists; /x/ → 404 when only /x exists', () => {
    const r = new Router<string>()
    r.add('/x/', 'x')
    r.add('/y', 'y')
    r.add('/users/<int:id>/', 'u')
    assert.deepEqual(r.find('/x'), { kind: 'redirect', location: '/x/', status: 301 })
    assert.equal(r.find('/y/'), null)
    assert.deepEqual(r.find('/users/5'), { kind: 'redirect', location: '/users/5/', status: 301 })
    assert.deepEqual(params(r.find('/users/5/')), { value: 'u', id: 5 })
    assert.equal(r.find('/users/abc'), null, 'no redirect to a URL that would not match either')
  })

  it("the empty path (the mount point without its slash) → 308 to '/'", () => {
    const r = new Router<string>()
    assert.deepEqual(r.find(''), { kind: 'redirect', location: '/', status: 308 })
    r.add('/', 'root')
    assert.deepEqual(r.find(''), { kind: 'redirect', location: '/', status: 308 })
  })

  it('orders patterns by longer literal prefix first, then registration order', () => {
    const r = new Router<string>()
    r.add('/<a>/<b>', 'generic')
    r.add('/api/<x>', 'api-string')
    r.add('/api/v1/<x>', 'api-v1')
    r.add('/api/<int:x>', 'api-int-later')
    assert.equal((r.find('/api/v1/7') as any).value, 'api-v1', 'longest prefix wins though registered after')
    assert.equal((r.find('/api/7') as any).value, 'api-string', 'same prefix length: registration order')
    assert.equal((r.find('/zzz/7') as any).value, 'generic')
    const s = new Router<string>()
    s.add('/api/<int:x>', 'int')
    s.add('/api/<x>', 'string')
    assert.equal((s.find('/api/7') as any).value, 'int')
    assert.equal(
      (s.find('/api/seven') as any).value,
      'string',
      'a value that does not fit falls through to the next rule',
    )
  })

  it('a static rule is found before any pattern', () => {
    const r = new Router<string>()
    r.add('/hello/<name>', 'pattern')
    r.add('/hello/world', 'static')
    assert.equal((r.find('/hello/world') as any).value, 'static')
    assert.equal((r.find('/hello/there') as any).value, 'pattern')
  })

  it('static rules with characters a client encodes are found under the encoded path too', () => {
    const r = new Router<string>()
    r.add('/café', 'c')
    assert.equal((r.find('/caf%C3%A9') as any).value, 'c')
  })

  it('rejects duplicate rules, also with other variable names', () => {
    const r = new Router<string>()
    r.add('/a/<int:x>', '1')
    r.add('/a/<x>', '2') // different type: a different rule
    assert.throws(() => r.add('/a/<int:x>', '3'), /duplicate route rule '\/a\/<int:x>'/)
    assert.throws(() => r.add('/a/<int:y>', '3'), /'\/a\/<int:y>' duplicates '\/a\/<int:x>'/)
    r.add('/s', 's')
    assert.throws(() => r.add('/s', 't'), /duplicate route rule/)
    assert.equal(r.get('/a/<x>'), '2')
  })

  it('returns params with no inherited members', () => {
    const r = new Router<string>()
    r.add('/h/<name>', 's')
    const m = r.find('/h/__proto__') as any
    assertNoInheritedMembers(m.params)
    assert.equal(m.params.name, '  proto  ')
    assert.equal(({} as any).polluted, undefined)
  })
})
