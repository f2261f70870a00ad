import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { SkitaiApp, UpgradeControl } from './contract.js'
import type { EngineRequestContext } from './request-context.js'

/** What a request is handed to. Built once at mount time (see targets.ts). */
export interface AppTarget {
  readonly kind: 'skitai' | 'listener' | 'fetch' | 'proxy'
  /** The Skitai app, for kind 'skitai'. */
  readonly app: SkitaiApp | null
  /** Called for every request; must answer it (errors are caught by the server). */
  handle(req: IncomingMessage, res: ServerResponse, ctx: EngineRequestContext): unknown
  /** An `Upgrade` request (WebSocket); true when the target took the socket. Null when it cannot. */
  readonly upgrade:
    | ((
        req: IncomingMessage,
        socket: Duplex,
        head: Buffer,
        ctx: EngineRequestContext,
        control?: UpgradeControl,
      ) => boolean)
    | null
}

export interface StaticTarget {
  serve(req: IncomingMessage, res: ServerResponse, path: string, next: () => void): void
}

/** One mount point on one host table: a static directory, an app, or both (static tried first). */
export class MountEntry {
  static: StaticTarget | null = null
  app: AppTarget | null = null
  /** The description given to mount(), for messages. */
  appSource = ''
  staticSource = ''
  constructor(readonly point: string) {}
}

/**
 * The mount table. Mount points are normalized without a trailing slash ('' is the root). Each host table
 * keeps its entries sorted longest point first, so the first match is the longest; the table is rebuilt at
 * mount time, never per request.
 */
export class MountTable {
  /** Mounts without a host. */
  readonly defaults: MountEntry[] = []
  /** Exact host names → their entries. */
  private readonly exact = new Map<string, MountEntry[]>()
  /** Leading-dot wildcards ('.site1.com'), longest suffix first. */
  private wildcards: { suffix: string; bare: string; entries: MountEntry[] }[] = []
  /** True when the only thing mounted is one entry at '/' for the default host (the common fast path). */
  rootOnly: MountEntry | null = null
  hasHosts = false

  entry(point: string, hosts: readonly string[] | null): MountEntry[] {
    const tables = hosts === null ? [this.defaults] : hosts.map((h) => this.tableFor(h))
    const found: MountEntry[] = []
    for (const table of tables) {
      let e = table.find((x) => x.point === point)
      if (!e) {
        e = new MountEntry(point)
        table.push(e)
        table.sort((a, b) => b.point.length - a.point.length)
      }
      found.push(e)
    }
    this.refresh()
    return found
  }

  private tableFor(host: string): MountEntry[] {
    const name = host.toLowerCase()
    this.hasHosts = true
    if (name.startsWith('.')) {
      let w = this.wildcards.find((x) => x.suffix === name)
      if (!w) {
        w = { suffix: name, bare: name.slice(1), entries: [] }
        this.wildcards.push(w)
        this.wildcards.sort((a, b) => b.suffix.length - a.suffix.length)
      }
      return w.entries
    }
    let t = this.exact.get(name)
    if (!t) {
      t = []
      this.exact.set(name, t)
    }
    return t
  }

  private refresh(): void {
    const d = this.defaults
    this.rootOnly = !this.hasHosts && d.length === 1 && (d[0] as MountEntry).point === '' ? (d[0] as MountEntry) : null
  }

  /** The entries for a Host header value (port and case ignored); unknown hosts get the default mounts. */
  tableForHost(hostHeader: string | undefined): MountEntry[] {
    if (!this.hasHosts || hostHeader === undefined) return this.defaults
    let host = hostHeader.toLowerCase()
    const colon = host.lastIndexOf(':')
    if (colon > 0 && host.indexOf(']') < colon) host = host.slice(0, colon)
    const t = this.exact.get(host)
    if (t !== undefined) return t
    for (const w of this.wildcards) {
      if (host === w.bare || host.endsWith(w.suffix)) return w.entries
    }
    return this.defaults
  }

  /** Every entry of every table (for mounting apps, listing). */
  all(): MountEntry[] {
    const out = [...this.defaults]
    for (const t of this.exact.values()) out.push(...t)
    for (const w of this.wildcards) out.push(...w.entries)
    return out
  }
}

/** The longest entry whose point is `path` or a prefix of it ending at a '/'. */
export function matchEntry(entries: MountEntry[], path: string): MountEntry | null {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as MountEntry
    const p = e.point
    if (p.length === 0) return e
    if (path.startsWith(p) && (path.length === p.length || path.charCodeAt(p.length) === 47)) return e
  }
  return null
}

/** '/' → '', '/v1/' → '/v1'; a point must start with '/'. */
export function normalizePoint(point: string): string {
  if (typeof point !== 'string' || !point.startsWith('/')) {
    throw new TypeError(`mount point must start with '/': ${JSON.stringify(point)}`)
  }
  let p = point
  while (p.endsWith('/')) p = p.slice(0, -1)
  return p
}
