/**
 * Request inputs → one args object (README "Request inputs"): query string and urlencoded form parsing
 * with duplicates as arrays and type-prefixed keys, and the merge of URL variables, query and body.
 *
 * Decoding uses node:querystring rather than URLSearchParams: its `parse` already returns a
 * null-prototype object with repeated keys gathered into arrays (one pass, no second loop to group
 * keys), decodes `+` as a space like a form post, and decodes malformed percent-encoding leniently
 * (never throws), which is what browsers expect of form data.
 */
import { parse as parseQs } from 'node:querystring'
import { HttpError, parseJsonSafely } from '@skitai/was'
import { newBag } from './bag.js'
import { FORBIDDEN_KEYS } from './signature.js'

type Converter = (value: string, key: string) => unknown

const INT_RE = /^[+-]?[0-9]+$/
const FLOAT_RE = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/
const PREFIX_RE = /^[A-Za-z_][A-Za-z0-9_]*$/

function bad(key: string, what: string): HttpError {
  return new HttpError(400, `bad value for parameter ${key}: ${what}`)
}

const CONVERTERS: Record<string, Converter> = {
  int: (v, key) => {
    const n = Number(v)
    if (!INT_RE.test(v) || !Number.isSafeInteger(n)) throw bad(key, 'not an integer')
    return n
  },
  float: (v, key) => {
    const n = Number(v)
    if (!FLOAT_RE.test(v) || !Number.isFinite(n)) throw bad(key, 'not a number')
    return n
  },
  bit: (v) => {
    const s = v.toLowerCase()
    return s === '1' || s === 'true' || s === 'yes'
  },
  list: (v) => (v === '' ? [] : v.split(',')),
  json: (v, key) => {
    try {
      // secure-json-parse refuses `__proto__` and `constructor.prototype` members anywhere in the value.
      return parseJsonSafely(v)
    } catch (e) {
      throw bad(key, `invalid JSON (${(e as Error).message})`)
    }
  },
}

/** `?a=1&a=2` → { a: ['1', '2'] }; `int:n=3` → { n: 3 }. Null-prototype. Throws HttpError(400) for a bad typed value. */
export function parseQuery(search: string): Record<string, unknown> {
  if (search.charCodeAt(0) === 63 /* ? */) search = search.slice(1)
  if (search === '') return newBag()
  // maxKeys 0: no silent truncation; the engine's URL and body limits already bound the input size.
  return parsePairs(search)
}

/** An `application/x-www-form-urlencoded` body; same rules as parseQuery. */
export function parseForm(body: string): Record<string, unknown> {
  if (body === '') return newBag()
  return parsePairs(body)
}

function parsePairs(text: string): Record<string, unknown> {
  const raw =
    text.indexOf('%') === -1 && text.indexOf('+') === -1
      ? splitPlainPairs(text)
      : (parseQs(text, '&', '=', { maxKeys: 0 }) as Record<string, string | string[]>)
  // A key can carry a type prefix or a forbidden name only when the text has a ':' or '%' (an escape)
  // or the name itself in it; otherwise there is nothing to rewrite and the key walk is skipped.
  if (
    text.indexOf(':') === -1 &&
    text.indexOf('%') === -1 &&
    text.indexOf('proto') === -1 &&
    text.indexOf('constructor') === -1
  ) {
    return raw
  }
  return applyPrefixes(raw)
}

/**
 * `a=1&b=2&a=3` with nothing to decode (no '%' or '+'): the same pairs node:querystring gives, split here
 * into a fast-mode bag (bag.ts) because querystring's null-prototype result is a hash-table object, slow
 * to read and walk on every request. Anything encoded goes to node:querystring.
 */
function splitPlainPairs(text: string): Record<string, string | string[]> {
  const out = newBag<string | string[]>()
  let start = 0
  const end = text.length
  while (start <= end) {
    let amp = text.indexOf('&', start)
    if (amp === -1) amp = end
    if (amp > start) {
      const eq = text.indexOf('=', start)
      const hasValue = eq !== -1 && eq < amp
      const key = text.slice(start, hasValue ? eq : amp)
      const value = hasValue ? text.slice(eq + 1, amp) : ''
      const old = out[key]
      if (old === undefined) out[key] = value
      else if (typeof old === 'string') out[key] = [old, value]
      else old.push(value)
    }
    start = amp + 1
  }
  return out
}

function applyPrefixes(raw: Record<string, string | string[]>): Record<string, unknown> {
  let plain = true
  for (const k in raw) {
    if (k.includes(':') || FORBIDDEN_KEYS.has(k)) {
      plain = false
      break
    }
  }
  if (plain) return raw // the common case: no prefixes, nothing to drop
  // Slow path: group every value under its unprefixed name, in first-appearance order.
  const groups = new Map<string, { values: unknown[]; isList: boolean }>()
  for (const key in raw) {
    const value = raw[key]
    let name = key
    let convert: Converter | null = null
    let isList = false
    const colon = key.indexOf(':')
    if (colon > 0) {
      const prefix = key.slice(0, colon)
      if (PREFIX_RE.test(prefix) && colon < key.length - 1) {
        name = key.slice(colon + 1)
        convert = CONVERTERS[prefix] ?? null // any other prefix: stripped, the value stays a string
        isList = prefix === 'list'
      }
    }
    if (FORBIDDEN_KEYS.has(name)) continue // dropped: `__proto__` and friends can pollute nothing
    const strings = Array.isArray(value) ? value : [value]
    let group = groups.get(name)
    if (group === undefined) groups.set(name, (group = { values: [], isList: false }))
    group.isList ||= isList
    for (const s of strings) {
      const v = convert === null ? s : convert(s, key)
      if (isList) group.values.push(...(v as string[]))
      else group.values.push(v)
    }
  }
  const out = newBag()
  for (const [name, g] of groups) out[name] = g.isList || g.values.length > 1 ? g.values : g.values[0]
  return out
}

/**
 * URL variables + query + body → request.args (null-prototype). The body overrides the query; a key
 * both a URL variable and in the query (or body) becomes an array, URL value first. JSON bodies keep
 * their types. `__proto__`, `constructor` and `prototype` keys are dropped.
 */
export function mergeArgs(
  urlParams: Record<string, unknown>,
  query: Record<string, unknown> | null,
  body: Record<string, unknown> | null,
): Record<string, unknown> {
  const out = newBag()
  const urlKeys = Object.keys(urlParams)
  for (const k of urlKeys) if (!FORBIDDEN_KEYS.has(k)) out[k] = urlParams[k]
  const hasUrl = urlKeys.length > 0
  if (query !== null) {
    for (const k of Object.keys(query)) {
      if (FORBIDDEN_KEYS.has(k)) continue
      if (body !== null && Object.hasOwn(body, k)) continue // the body overrides the query
      put(out, k, query[k], hasUrl && Object.hasOwn(urlParams, k))
    }
  }
  if (body !== null) {
    for (const k of Object.keys(body)) {
      if (FORBIDDEN_KEYS.has(k)) continue
      put(out, k, body[k], hasUrl && Object.hasOwn(urlParams, k))
    }
  }
  return out
}

function put(out: Record<string, unknown>, k: string, v: unknown, alsoInUrl: boolean): void {
  if (!alsoInUrl) {
    out[k] = v
    return
  }
  const first = out[k]
  out[k] = Array.isArray(v) ? [first, ...v] : [first, v]
}
