/**
 * JSON from the network, with prototype-poisoning members (`__proto__`, `constructor.prototype`)
 * refused anywhere in the value: secure-json-parse does the refusing. It scans the text with two
 * regular expressions after parsing; a text with no backslash and neither name in it cannot match them,
 * so such a text (nearly every request body) goes straight to JSON.parse: same result, without the scans.
 */
import sjson from 'secure-json-parse'

const OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const

/**
 * How deep arrays and objects may nest: a value parsed from 9,000 nested objects (45 KB) parses fine
 * and then overflows the stack of whatever walks it (JSON.stringify of an echo, a recursive merge).
 */
export const MAX_JSON_DEPTH = 512

/** Parses JSON text; throws SyntaxError for bad JSON, a forbidden member or nesting over MAX_JSON_DEPTH. */
export function parseJsonSafely(text: string): unknown {
  // nesting deeper than the limit needs at least that many brackets: short texts skip the scan
  if (text.length > MAX_JSON_DEPTH) checkDepth(text)
  if (
    text.indexOf('\\') === -1 &&
    text.indexOf('__proto__') === -1 &&
    text.indexOf('constructor') === -1 &&
    text.charCodeAt(0) !== 0xfeff
  ) {
    return JSON.parse(text)
  }
  return sjson.parse(text, undefined, OPTIONS)
}

/** One pass over the brackets outside strings. */
function checkDepth(text: string): void {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92 /* \\ */) i++
      else if (c === 34 /* " */) inString = false
    } else if (c === 34) inString = true
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > MAX_JSON_DEPTH) throw new SyntaxError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`)
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--
  }
}
