import { statSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import type { CompressionSettings } from './compression.js'
import type { EngineLike, MountInfo, SkitaiApp } from './contract.js'
import { type AppTarget, type MountEntry, type MountTable, normalizePoint } from './mounts.js'
import { type MountOptions, normalizeHosts } from './options.js'
import { createStaticHandler } from './static.js'
import type { MaxAgeTable } from './static-maxage.js'
import { aliasTarget, type ErrorReporter, type MountableApp, toAppTarget } from './targets.js'

/** What the registry needs of the engine (engine.ts makes it with the Engine: no import of the class). */
export interface MountHost extends EngineLike, ErrorReporter {
  readonly maxAge: MaxAgeTable
  readonly compression: CompressionSettings | null
  abspath(...parts: string[]): string
}

/** How one `mount()` call is logged by the app it mounted (its errors land in the server log). */
type MountLog = NonNullable<MountInfo['log']>

interface MountRecord {
  readonly point: string
  readonly hosts: readonly string[] | null
  readonly source: string
  readonly entries: MountEntry[]
  /** A module path waiting for run(): absolute file and export name. */
  module: { file: string; exportName: string | undefined } | null
  target: AppTarget | null
}

/**
 * What was mounted, by whom: every `mount()` call fills the request path's table (mounts.ts, matched per
 * request) and keeps a record here, which imports module mounts, tells apps their mount points, finds
 * them by name and unmounts them at shutdown.
 */
export class MountRegistry {
  private readonly records: MountRecord[] = []

  constructor(
    private readonly table: MountTable,
    private readonly host: MountHost,
  ) {}

  /** `Engine.mount`: at the same point a static directory is tried before an app. */
  mount(point: string, target: MountableApp | string, options: MountOptions): void {
    const p = normalizePoint(point)
    const hosts = normalizeHosts(options.host)
    const where = `mount('${point}'${hosts ? `, host ${hosts.join(' ')}` : ''})`
    if (typeof target !== 'string') {
      this.addApp(p, hosts, describe(target), toAppTarget(target, where, this.host), null)
      return
    }
    if (target.startsWith('@')) {
      this.addApp(p, hosts, target, aliasTarget(target), null)
      return
    }
    const hash = target.indexOf('#')
    const file = this.host.abspath(hash < 0 ? target : target.slice(0, hash))
    const exportName = hash < 0 ? undefined : target.slice(hash + 1) || undefined
    let isDir = false
    try {
      isDir = statSync(file).isDirectory()
    } catch {
      throw new Error(`${where}: ${target} does not exist (looked for ${file})`)
    }
    if (isDir && hash < 0) {
      const host = this.host
      const handler = createStaticHandler(file, { maxAge: host.maxAge, compression: () => host.compression })
      for (const e of this.table.entry(p, hosts)) {
        if (e.static !== null) throw new Error(`${where}: the directory ${e.staticSource} is already mounted there`)
        e.static = handler
        e.staticSource = target
      }
      return
    }
    this.addApp(p, hosts, target, null, { file, exportName })
  }

  private addApp(
    point: string,
    hosts: readonly string[] | null,
    source: string,
    target: AppTarget | null,
    module: MountRecord['module'],
  ): void {
    const entries = this.table.entry(point, hosts)
    for (const e of entries) {
      if (e.appSource !== '') {
        throw new Error(`mount('${point || '/'}'): ${e.appSource} is already mounted there; cannot add ${source}`)
      }
      e.app = target
      e.appSource = source
    }
    this.records.push({ point, hosts, source, entries, module, target })
  }

  /** Import the module mounts, then tell every Skitai app its mount point (`app.mount`), in mount order. */
  async prepare(log: MountLog): Promise<void> {
    for (const r of this.records) {
      if (r.module === null) continue
      const mod = await import(pathToFileURL(r.module.file).href)
      const name = r.module.exportName
      const value = name !== undefined ? mod[name] : (mod.default ?? mod.app)
      if (value === undefined) {
        throw new Error(
          `mount('${r.point || '/'}', '${r.source}'): the module has no ${name !== undefined ? `export '${name}'` : "default export or export named 'app'"}`,
        )
      }
      r.target = toAppTarget(value, `mount('${r.point || '/'}', '${r.source}')`, this.host)
      for (const e of r.entries) e.app = r.target
    }
    for (const r of this.records) {
      const app = r.target?.app
      if (app) await app.mount({ point: r.point, hosts: r.hosts, engine: this.host, log })
    }
  }

  /** All mounted Skitai apps by name. */
  get apps(): Readonly<Record<string, SkitaiApp>> {
    const out: Record<string, SkitaiApp> = {}
    for (const r of this.records) {
      const app = r.target?.app
      if (app?.name) out[app.name] = app
    }
    return out
  }

  mountPointOf(app: SkitaiApp): string | undefined {
    return this.records.find((r) => r.target?.app === app)?.point
  }

  /** An app mounted as an object asked for the reloader (`app.useReloader = true`, Saddle). */
  wantsReloader(): boolean {
    return this.records.some(
      (r) => (r.target?.app as { useReloader?: unknown } | null | undefined)?.useReloader === true,
    )
  }

  /** At shutdown: every app's `unmount`, in mount order; a failure is reported and the rest go on. */
  async unmountAll(report: (error: unknown, source: string) => void): Promise<void> {
    for (const r of this.records) {
      const app = r.target?.app
      if (!app?.unmount) continue
      try {
        await app.unmount()
      } catch (e) {
        report(e, r.source)
      }
    }
  }
}

function describe(target: unknown): string {
  if (typeof target === 'function') return `listener ${target.name || '(anonymous)'}`
  const name = (target as any)?.name
  return typeof name === 'string' && name ? `app ${name}` : 'app'
}
