/**
 * Per-request key/value bags (URL variables, query, arguments) with no inherited members: `bag.toString`
 * and `bag.constructor` are undefined and a `__proto__` key is an ordinary key, as with
 * `Object.create(null)`. But `Object.create(null)` makes V8 store the object as a hash table
 * ("dictionary mode"), several times slower to fill, read and walk for the few keys a request has;
 * an object whose prototype is a frozen empty null-prototype object stays a fast, shaped object.
 */
const NO_MEMBERS: object = Object.freeze(Object.create(null))

export function newBag<T = unknown>(): Record<string, T> {
  return Object.create(NO_MEMBERS)
}
