/** Options of the Engine and the `skitai` namespace, and the checks of option values. */

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
  /** HTTP/2 beside HTTP/1.1 (default true): h2c by preface on a plain port, h2 by ALPN with TLS. */
  http2?: boolean
}

export interface RunOptions extends ListenOptions {
  /** Service name (process titles, log directory). */
  name?: string
  /** Development mode: stacks in error pages, and the reloader (a master with the workers). */
  devel?: boolean
  /** Worker processes sharing the port (README "Workers"); 1 (default): this one process, no master. */
  workers?: number
}

/** Server-wide preferences: `skitai.pref().maxClientBodySize = 10 * 1024 * 1024`. */
export interface Prefs {
  /** Largest request body accepted (bytes); apps may only lower it. */
  maxClientBodySize: number
  /** Requests handled at once; beyond it new requests get 503 with Retry-After. */
  maxInFlight: number
  /**
   * Send the responses to pipelined requests of one connection in one system call where they are ready
   * together (write-coalescing.ts); read when a connection opens. Default true.
   */
  coalescePipelinedWrites: boolean
  /**
   * Open connections one client address may hold (default 1000, 0: no cap); beyond it a new connection's
   * request gets 429 and the connection is closed. Behind a reverse proxy every client has the proxy's
   * address: set it to 0 there.
   */
  maxConnectionsPerAddress: number
  /** Requests one client address may have in flight (default 500, 0: no cap); beyond it 429. */
  maxInFlightPerAddress: number
  /**
   * Slowest request-body upload accepted, bytes per second averaged from the end of the head (default
   * 512); checked once `bodyRateGraceSeconds` (default 10) have passed. 0 turns the check off.
   */
  minBodyRate: number
  bodyRateGraceSeconds: number
}

/** The engine's preferences before the serve script changes any (`pref()`). */
export function defaultPrefs(): Prefs {
  return {
    maxClientBodySize: 64 * 1024 * 1024,
    maxInFlight: 10000,
    coalescePipelinedWrites: true,
    maxConnectionsPerAddress: 1000,
    maxInFlightPerAddress: 500,
    minBodyRate: 512,
    bodyRateGraceSeconds: 10,
  }
}

/** `{ host }` of mount(): one name or several, trimmed and lower-cased; null for no host. */
export function normalizeHosts(host: MountOptions['host']): readonly string[] | null {
  if (host === undefined) return null
  const list = (typeof host === 'string' ? [host] : [...host]).map((h) => h.trim().toLowerCase()).filter((h) => h)
  if (list.length === 0) throw new TypeError('mount: options.host is empty')
  return list
}

/** A timeout setting in seconds (>= 0) as milliseconds; `what` names the setting in the error. */
export function secondsToMs(seconds: number, what: string): number {
  if (typeof seconds !== 'number' || !(seconds >= 0))
    throw new TypeError(`${what}: seconds must be a number >= 0, got ${seconds}`)
  return Math.round(seconds * 1000)
}
