import { sharedState } from '@skitai/was'

/** The shared-state key of `skitai.g.NAME`. */
export const G_PREFIX = 'g:'

/**
 * `skitai.g`: values every worker (and, with Redis, every host) sees (README "Shared state"). Names are
 * declared with `registerG(name, initial?)`; reading or writing an undeclared name throws, so a typo is
 * an error rather than a value nobody reads.
 *
 * Before `run()` an assignment only sets the initial value: every worker runs the serve script again
 * at start, and a respawned worker must not reset what the others changed since. Initial values are
 * written at `run()` only where the service holds no value yet.
 */
export class SharedG {
  readonly #names = new Set<string>()
  readonly #initial = new Map<string, unknown>()
  #live = false
  /** The `skitai.g` object. */
  readonly proxy: Record<string, any>

  constructor() {
    this.proxy = new Proxy(Object.create(null) as Record<string, any>, {
      get: (_t, name) => (typeof name === 'string' ? this.read(name) : undefined),
      set: (_t, name, value) => {
        if (typeof name !== 'string') return false
        this.write(name, value)
        return true
      },
      deleteProperty: (_t, name) => {
        if (typeof name === 'string') this.write(name, undefined)
        return true
      },
      has: (_t, name) => typeof name === 'string' && this.#names.has(name),
      ownKeys: () => [...this.#names],
      getOwnPropertyDescriptor: (_t, name) =>
        typeof name === 'string' && this.#names.has(name)
          ? { value: this.read(name), writable: true, enumerable: true, configurable: true }
          : undefined,
    })
  }

  /** `registerG('A', 'B')`, `registerG({ A: 0 })`: names, or names with their initial values. */
  registerAll(names: ReadonlyArray<string | Record<string, unknown>>): void {
    if (names.length === 0) throw new TypeError('registerG: give at least one name')
    for (const n of names) {
      if (typeof n === 'string') this.register([n])
      else if (n !== null && typeof n === 'object') for (const [k, v] of Object.entries(n)) this.register([k], v)
      else throw new TypeError(`registerG: give names or { NAME: initial }, got ${String(n)}`)
    }
  }

  register(names: readonly string[], initial?: unknown): void {
    for (const name of names) {
      if (typeof name !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(name))
        throw new TypeError(`registerG: a name must be an identifier, got ${JSON.stringify(name)}`)
      this.#names.add(name)
      if (initial !== undefined) {
        assertJson(name, initial)
        this.#initial.set(name, initial)
      }
    }
  }

  /** Write the initial values the service does not hold yet; from now on assignments are shared. */
  goLive(): void {
    if (this.#live) return
    this.#live = true
    const state = sharedState()
    for (const [name, value] of this.#initial)
      if (state.get(G_PREFIX + name) === undefined) state.set(G_PREFIX + name, value)
    this.#initial.clear()
  }

  /** Listen to changes of `skitai.g` (any worker): `fn(name, value)`. */
  onChange(fn: (name: string, value: unknown) => void): () => void {
    return sharedState().onChange((key, value) => {
      if (key.startsWith(G_PREFIX)) fn(key.slice(G_PREFIX.length), value)
    })
  }

  private read(name: string): unknown {
    if (name === 'toJSON' || name === 'then') return undefined
    this.#check(name)
    const v = sharedState().get(G_PREFIX + name)
    return v === undefined && !this.#live ? this.#initial.get(name) : v
  }

  private write(name: string, value: unknown): void {
    this.#check(name)
    assertJson(name, value)
    if (!this.#live) this.#initial.set(name, value)
    else sharedState().set(G_PREFIX + name, value)
  }

  #check(name: string): void {
    if (!this.#names.has(name))
      throw new TypeError(
        `skitai.g.${name} is not registered (call skitai.registerG(${JSON.stringify(name)}) before run())`,
      )
  }
}

function assertJson(name: string, value: unknown): void {
  if (value === undefined) return
  try {
    JSON.stringify(value)
  } catch (e) {
    throw new TypeError(`skitai.g.${name}: the value must be JSON-serializable (${(e as Error).message})`)
  }
}
