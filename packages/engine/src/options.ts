/** Options of the Engine and the `skitai` namespace. */

export interface EngineOptions {
  /** Directory that relative mount paths and `abspath()` resolve against (default: the working directory). */
  root?: string
  /** Command-line arguments that override `run()`'s options (the default engine uses process.argv). */
  argv?: readonly string[]
}

export interface MountOptions {
  /** Virtual host: a name, several names, or '.site.com' for the domain and every subdomain. */
  host?: string | readonly string[]
}

export interface ListenOptions {
  port?: number
  address?: string
}

export interface RunOptions extends ListenOptions {
  /** Service name (process titles, log directory). */
  name?: string
  /** Development mode: stacks in error pages. */
  devel?: boolean
  /** Worker processes; more than one comes with the cluster support (a later issue). */
  workers?: number
}

/** Server-wide preferences: `skitai.pref().maxClientBodySize = 10 * 1024 * 1024`. */
export interface Prefs {
  /** Largest request body accepted (bytes); apps may only lower it. */
  maxClientBodySize: number
  /** Requests handled at once; beyond it new requests get 503 with Retry-After. */
  maxInFlight: number
}
