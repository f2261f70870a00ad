/**
 * Property-based fuzzing (fast-check) of the argument binder and the router, through a Saddle app served
 * on a real socket: hostile keys and values in query strings, urlencoded forms and JSON bodies never give
 * a 500 and never pollute a prototype; values, type prefixes and URL variables round-trip (`was.ab()` then
 * routing gives back the same values). FUZZ_RUNS sets the runs per property (`npm run test:reliability`
 * uses more).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Saddle } from '@skitai/saddle'
import fc from 'fast-check'
import { type Client, clients, closeAll } from './helpers.ts'

const RUNS = Number(process.env.FUZZ_RUNS ?? 60)

function makeApp(): Saddle {
  const app = new Saddle(import.meta.url, { name: 'fuzz' })
  app.route('/any', { methods: ['GET', 'POST'] }, (_was, { ...all }) => Object.keys(all).length)
  app.route('/named', { methods: ['GET', 'POST'] }, (_was, a = null, b = null) => ({ a, b }))
  app.route('/typed', (_was, n = null, f = null, l = null, t = null) => ({ n, f, l, t }))
  app.route('/r/<int:n>/<name>/<path:rest>', function target(_was, n, name, rest) {
    return { n, name, rest }
  })
  app.route('/mk', { methods: ['POST'] }, (was, n, name, rest) => was.ab('target', n, name, rest))
  return app
}

/** Keys a hostile client would try, mixed with arbitrary ones. */
const hostileKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    '__proto__[polluted]',
    'constructor[prototype][polluted]',
    'int:__proto__',
    'json:__proto__',
    'json:a',
    'int:a',
    'float:a',
    'bit:a',
    'list:a',
    'nope:a',
    ':a',
    'a:',
    'toString',
    'hasOwnProperty',
    'a',
    'b',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
)

const hostileValue = fc.oneof(
  fc.constantFrom(
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    '1e309',
    'NaN',
    '-0',
    '9007199254740993',
    '%',
    '%zz',
    '%00',
    '[]',
    '{',
    'true',
  ),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
)

const pairs = fc.array(fc.tuple(hostileKey, hostileValue, fc.boolean()), { maxLength: 8 })

/** `k=v&…`, each pair percent-encoded, or sent raw as typed (only what cannot go on a request line escaped). */
function urlencode(list: [string, string, boolean][]): string {
  return list
    .map(([k, v, raw]) => (raw ? `${rawish(k)}=${rawish(v)}` : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&')
}

function rawish(s: string): string {
  return s.replace(/[^!-~]|#/gu, (c) => encodeURIComponent(c))
}

/** A JSON object text with these members, `__proto__` included as an own member. */
function jsonText(list: [string, string, boolean][]): string {
  return `{${list.map(([k, v, asJson]) => `${JSON.stringify(k)}:${asJson && isJson(v) ? v : JSON.stringify(v)}`).join(',')}}`
}

/** Members secure-json-parse refuses anywhere in a value: `__proto__`, and `prototype` inside `constructor`. */
function hasForbiddenMember(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false
  for (const key of Object.keys(v)) {
    const member = (v as Record<string, unknown>)[key]
    if (key === '__proto__') return true
    if (key === 'constructor' && member !== null && typeof member === 'object' && Object.hasOwn(member, 'prototype'))
      return true
    if (hasForbiddenMember(member)) return true
  }
  return false
}

function isJson(v: string): boolean {
  try {
    JSON.parse(v)
    return true
  } catch {
    return false
  }
}

function assertNotPolluted(): void {
  const probe = {} as Record<string, unknown>
  assert.equal(probe.polluted, undefined, 'Object.prototype polluted')
  assert.equal(Object.getPrototypeOf(probe), Object.prototype)
}

const ANSWERS = new Set([200, 400, 413, 414, 415, 431])

/** Unicode text that survives encodeURIComponent (no lone surrogates). */
const text = fc.string({ unit: 'grapheme', maxLength: 16 })

describe('fuzz: argument binder and router (fast-check, real socket)', () => {
  let list: Client[] = []
  let c: Client
  before(async () => {
    list = await clients(makeApp())
    c = list.find((x) => x.kind === 'socket')!
  })
  after(() => closeAll(list))

  it('hostile query strings, forms and JSON bodies: never a 500, never a polluted prototype', async () => {
    await fc.assert(
      fc.asyncProperty(
        pairs,
        fc.constantFrom('query', 'form', 'json'),
        fc.constantFrom('/any', '/named'),
        async (p, how, path) => {
          const r =
            how === 'query'
              ? await c.get(`${path}?${urlencode(p)}`)
              : how === 'form'
                ? await c.post(path, {
                    body: urlencode(p),
                    headers: { 'content-type': 'application/x-www-form-urlencoded' },
                  })
                : await c.post(path, { body: jsonText(p), headers: { 'content-type': 'application/json' } })
          assert.ok(ANSWERS.has(r.status), `${how} ${path} ${JSON.stringify(p)} → ${r.status} ${r.text.slice(0, 200)}`)
          if (r.status === 400) assert.ok(r.text.length > 0, 'a 400 names the problem')
          assertNotPolluted()
        },
      ),
      { numRuns: RUNS * 3 },
    )
  })

  it('values round-trip through query, form and JSON', async () => {
    await fc.assert(
      fc.asyncProperty(text, text, fc.constantFrom('query', 'form', 'json'), async (a, b, how) => {
        const q = `a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`
        const r =
          how === 'query'
            ? await c.get(`/named?${q}`)
            : how === 'form'
              ? await c.post('/named', { body: q, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
              : await c.post('/named', { json: { a, b } })
        assert.equal(r.status, 200, r.text)
        assert.deepEqual(r.json(), { a, b })
      }),
      { numRuns: RUNS },
    )
  })

  it('type prefixes convert exactly: int:, float:, list:, json:', async () => {
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x))
    const item = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((s) => !s.includes(','))
    await fc.assert(
      fc.asyncProperty(
        fc.maxSafeInteger(),
        finite,
        fc.array(item, { minLength: 1, maxLength: 5 }),
        fc.jsonValue({ maxDepth: 3 }),
        async (n, f, l, t) => {
          const q = [
            `int:n=${n}`,
            `float:f=${encodeURIComponent(String(f))}`,
            `list:l=${encodeURIComponent(l.join(','))}`,
            `json:t=${encodeURIComponent(JSON.stringify(t))}`,
          ].join('&')
          const r = await c.get(`/typed?${q}`)
          // fast-check generates `__proto__` / `constructor.prototype` members on purpose: refused, by name
          if (hasForbiddenMember(t)) {
            assert.equal(r.status, 400, `${q} → ${r.text}`)
            assert.match(r.text, /json:t: invalid JSON/)
            return
          }
          assert.equal(r.status, 200, `${q} → ${r.text}`)
          // JSON on the way back turns -0 into 0, like the value sent
          assert.deepEqual(r.json(), JSON.parse(JSON.stringify({ n, f, l, t })))
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('was.ab() then routing gives back the same URL variables', async () => {
    const segment = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 10 })
      .filter((s) => s !== '.' && s !== '..' && !s.includes('/'))
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        async (n, name, parts) => {
          const rest = parts.join('/')
          const made = await c.post('/mk', { json: { n, name, rest } })
          assert.equal(made.status, 200, made.text)
          const url = made.text
          const r = await c.get(url)
          assert.equal(r.status, 200, `${url} → ${r.status} ${r.text}`)
          assert.deepEqual(r.json(), { n, name, rest }, url)
        },
      ),
      { numRuns: RUNS },
    )
  })
})
