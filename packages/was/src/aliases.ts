/**
 * Aliases (README "Aliases"): a name such as '@search' for a cluster of backend members, registered before
 * the server runs. Member syntax: `[user:password@]host[:port][/database] [weight]` ('%40' for '@').
 */
import { type CallOutcome, Member, type MemberSpec } from './member.js'

export const PROTO_HTTP = 'http'
export const PROTO_HTTPS = 'https'
export const PROTO_WS = 'ws'
export const PROTO_WSS = 'wss'
export const DB_PGSQL = 'postgresql'
export const DB_SQLITE3 = 'sqlite3'
export const DB_REDIS = 'redis'

export type AliasType =
  | typeof PROTO_HTTP
  | typeof PROTO_HTTPS
  | typeof PROTO_WS
  | typeof PROTO_WSS
  | typeof DB_PGSQL
  | typeof DB_SQLITE3
  | typeof DB_REDIS

const TYPES: ReadonlySet<string> = new Set([
  PROTO_HTTP,
  PROTO_HTTPS,
  PROTO_WS,
  PROTO_WSS,
  DB_PGSQL,
  DB_SQLITE3,
  DB_REDIS,
])
const DEFAULT_PORTS: Record<string, number> = {
  http: 80,
  https: 443,
  ws: 80,
  wss: 443,
  postgresql: 5432,
  sqlite3: 0,
  redis: 6379,
}

export interface AliasOptions {
  /** Free-form role ('master', 'replica', …), kept for the status page and future DB routing. */
  role?: string
  /** Free-form source tag, kept as given. */
  source?: string
  /** Use TLS towards the members (PROTO_HTTP becomes https, PROTO_WS becomes wss). */
  ssl?: boolean
  /** Seconds between connection probes of a member marked down (default 5). */
  probeInterval?: number
  /** Connections per member pool (default: unlimited, undici's Pool default). */
  connections?: number
  /** TLS options towards https/wss members (`ca` for a private CA, `servername`, …), as for `tls.connect`. */
  tls?: {
    ca?: string | Buffer | Array<string | Buffer>
    servername?: string
    rejectUnauthorized?: boolean
    cert?: string | Buffer
    key?: string | Buffer
  }
  /**
   * Seconds to wait for a member's response headers and between body chunks: the default `timeout`
   * of `was` calls to this alias, and the reverse proxy's (default 30 there; 504 when exceeded).
   */
  timeout?: number
  /** Databases: connections per member pool (pg's `max`, default 10). */
  max?: number
  /** Databases: seconds an idle pooled connection is kept (default 30). */
  idleTimeout?: number
  /** Databases: seconds to wait for a connection to a member (default 5) before trying another. */
  connectTimeout?: number
  /** DB_SQLITE3: worker threads per database file (default 2; always 1 for ':memory:'). */
  workers?: number
  /** Databases: extra options handed to the driver as they are (pg's Pool, ioredis, better-sqlite3). */
  driver?: Record<string, unknown>
}

export type { MemberSpec }

export function isDbType(type: string): boolean {
  return type === DB_PGSQL || type === DB_SQLITE3 || type === DB_REDIS
}

/** Parse one member string. Throws with the member text on anything it cannot read. */
export function parseMember(text: string, type: AliasType): MemberSpec {
  const trimmed = text.trim()
  if (trimmed === '') throw new Error('alias member is empty')
  // The weight is the last blank-separated word when it is a number.
  let address = trimmed
  let weight = 1
  const sp = trimmed.search(/\s+\d+$/)
  if (sp > 0) {
    weight = Number(trimmed.slice(sp).trim())
    address = trimmed.slice(0, sp)
    if (!Number.isInteger(weight) || weight < 1)
      throw new Error(`alias member ${JSON.stringify(text)}: weight must be a positive integer`)
  }
  if (/\s/.test(address))
    throw new Error(`alias member ${JSON.stringify(text)}: expected "[user:password@]host[:port][/database] [weight]"`)
  if (type === DB_SQLITE3) {
    return { host: '', port: 0, user: null, password: null, database: address, weight, path: address }
  }
  // Embedded PostgreSQL: 'pglite:./data/dir' (or 'pglite:' in memory), no host.
  if (type === DB_PGSQL && address.startsWith('pglite:')) {
    return { host: '', port: 0, user: null, password: null, database: null, weight, path: address }
  }
  // Strip a scheme some users paste ('http://host:port').
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(address)
  if (scheme !== null) address = address.slice(scheme[0].length)
  let user: string | null = null
  let password: string | null = null
  const at = address.lastIndexOf('@')
  if (at >= 0) {
    const cred = address.slice(0, at)
    address = address.slice(at + 1)
    const colon = cred.indexOf(':')
    user = decode(colon < 0 ? cred : cred.slice(0, colon), text)
    password = colon < 0 ? null : decode(cred.slice(colon + 1), text)
  }
  let database: string | null = null
  const slash = address.indexOf('/')
  if (slash >= 0) {
    database = address.slice(slash + 1) || null
    address = address.slice(0, slash)
  }
  let host = address
  let port = DEFAULT_PORTS[type] ?? 80
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(address) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(address)
  if (m === null) throw new Error(`alias member ${JSON.stringify(text)}: cannot read host[:port]`)
  host = m[1] as string
  if (m[2] !== undefined) {
    port = Number(m[2])
    if (port < 1 || port > 65535) throw new Error(`alias member ${JSON.stringify(text)}: port out of range`)
  }
  return { host, port, user, password, database, weight, path: null }
}

function decode(s: string, text: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    throw new Error(`alias member ${JSON.stringify(text)}: bad percent-encoding in credentials`)
  }
}

let clusterSeq = 0

/** A registered alias: its type, options and live members. */
export class Cluster {
  readonly name: string
  /**
   * 'name#n', unique per cluster: the result cache keys on it, so an app-private alias and a server-wide
   * one of the same name (or an alias registered again with other members) never share cached results.
   */
  readonly cacheId: string
  readonly type: AliasType
  readonly role: string | null
  readonly source: string | null
  readonly ssl: boolean
  /** 'http:' or 'https:' (also used for ws/wss, whose handshake is HTTP); '' for databases. */
  readonly scheme: string
  readonly members: readonly Member[]
  /** Round-robin cursor used when every member is down. */
  rr: number
  /** `options.timeout` in ms, 0 when not set. */
  readonly timeoutMs: number
  /** The alias options as given (the database drivers read their pool settings from them). */
  readonly dbOptions: AliasOptions

  constructor(name: string, type: AliasType, members: MemberSpec[], options: AliasOptions) {
    this.name = name
    this.cacheId = `${name}#${++clusterSeq}`
    this.type = type
    this.role = options.role ?? null
    this.source = options.source ?? null
    this.ssl = options.ssl === true || type === PROTO_HTTPS || type === PROTO_WSS
    this.scheme = isDbType(type) ? '' : this.ssl ? 'https:' : 'http:'
    const probeMs = Math.max(0.05, options.probeInterval ?? 5) * 1000
    this.members = members.map((s) => new Member(s, this.scheme, probeMs, options.connections, options.tls))
    this.rr = 0
    this.timeoutMs = options.timeout === undefined ? 0 : Math.max(1, Math.round(options.timeout * 1000))
    this.dbOptions = options
  }

  /** Members not marked down, in registration order. */
  liveMembers(): Member[] {
    return this.members.filter((m) => !m.down)
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.close()))
  }
}

function normalizeName(name: string): string {
  if (typeof name !== 'string' || name === '') throw new Error('alias name must be a non-empty string')
  const n = name.startsWith('@') ? name.slice(1) : name
  if (!/^[A-Za-z0-9_.-]+$/.test(n))
    throw new Error(`alias name ${JSON.stringify(name)}: use letters, digits, '_', '.' or '-'`)
  return n
}

/** Build a cluster without registering it (Saddle's app-private `app.alias` uses this). */
export function makeCluster(
  name: string,
  type: AliasType,
  members: string | string[],
  options: AliasOptions = {},
): Cluster {
  const n = normalizeName(name)
  if (!TYPES.has(type))
    throw new Error(
      `alias @${n}: unknown type ${JSON.stringify(type)} (use PROTO_HTTP, PROTO_HTTPS, PROTO_WS, PROTO_WSS, DB_PGSQL, DB_SQLITE3 or DB_REDIS)`,
    )
  const list = typeof members === 'string' ? [members] : members
  if (!Array.isArray(list) || list.length === 0) throw new Error(`alias @${n}: give at least one member`)
  return new Cluster(
    n,
    type,
    list.map((m) => parseMember(m, type)),
    options,
  )
}

const registry = new Map<string, Cluster>()

/** `skitai.alias('@name', TYPE, members, options)`. Registering a name again replaces it. */
export function registerAlias(
  name: string,
  type: AliasType,
  members: string | string[],
  options: AliasOptions = {},
): Cluster {
  const c = makeCluster(name, type, members, options)
  const old = registry.get(c.name)
  registry.set(c.name, c)
  if (old !== undefined) void old.close()
  return c
}

/** The registered cluster for a name ('@name' or 'name'), or undefined. */
export function getAlias(name: string): Cluster | undefined {
  return registry.get(name.charCodeAt(0) === 64 ? name.slice(1) : name)
}

export function aliasNames(): string[] {
  return [...registry.keys()]
}

/** Remove an alias and close its connections (tests, reconfiguration). */
export async function unregisterAlias(name: string): Promise<void> {
  const n = name.charCodeAt(0) === 64 ? name.slice(1) : name
  const c = registry.get(n)
  registry.delete(n)
  if (c !== undefined) await c.close()
}

/** Per-alias backend state for the status page (README "Status page and metrics"): members, up/down, load, failures, calls. */
export function aliasStatus(): Array<{
  name: string
  type: AliasType
  members: Array<{
    address: string
    weight: number
    down: boolean
    downReason: string | null
    inflight: number
    failures: number
    /** Finished calls by outcome (ok, error, failed, timeout, cancelled). */
    calls: Record<CallOutcome, number>
  }>
}> {
  return [...registry.values()].map((c) => ({
    name: c.name,
    type: c.type,
    members: c.members.map((m) => ({
      address: m.address,
      weight: m.weight,
      down: m.down,
      downReason: m.downReason,
      inflight: m.inflight,
      failures: m.failures,
      calls: {
        ok: m.outcomes[0] as number,
        error: m.outcomes[1] as number,
        failed: m.outcomes[2] as number,
        timeout: m.outcomes[3] as number,
        cancelled: m.outcomes[4] as number,
      },
    })),
  }))
}
