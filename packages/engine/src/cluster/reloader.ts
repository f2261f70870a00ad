/**
 * The reloader of `--devel` / `app.useReloader = true` (README "Workers", reloader): the master watches
 * the source files under the serve script's directory and, after a quiet moment, asks for a rolling
 * replace of the workers. One non-recursive fs.watch per directory (node_modules, dot directories and
 * logs skipped: watching node_modules would take thousands of inotify watches); the tree is walked again
 * after each change so new directories are watched too.
 */
import { type FSWatcher, readdirSync, watch } from 'node:fs'
import { join } from 'node:path'

const SOURCE = /\.(?:[mc]?[jt]sx?|json)$/
const SKIPPED_DIRS = new Set(['node_modules', 'logs', 'dist', 'coverage'])

export class SourceWatcher {
  private readonly watchers = new Map<string, FSWatcher>()
  private timer: NodeJS.Timeout | null = null
  private changed = new Set<string>()
  private closed = false

  constructor(
    private readonly root: string,
    private readonly onChange: (files: string[]) => void,
    private readonly debounceMs = 250,
  ) {
    this.walk(root)
  }

  get directories(): number {
    return this.watchers.size
  }

  private walk(dir: string): void {
    if (this.closed) return
    if (!this.watchers.has(dir)) {
      try {
        const w = watch(dir, (_event, name) => {
          if (name !== null && SOURCE.test(name)) this.touched(join(dir, name))
          else if (name !== null && !name.includes('.')) this.touched(null) // maybe a new directory
        })
        w.on('error', () => this.forget(dir))
        this.watchers.set(dir, w)
      } catch {
        return
      }
    }
    let entries: import('node:fs').Dirent[]
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries)
      if (e.isDirectory() && !e.name.startsWith('.') && !SKIPPED_DIRS.has(e.name)) this.walk(join(dir, e.name))
  }

  private forget(dir: string): void {
    this.watchers.get(dir)?.close()
    this.watchers.delete(dir)
  }

  private touched(file: string | null): void {
    if (file === null) {
      this.walk(this.root)
      return
    }
    this.changed.add(file)
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      const files = [...this.changed]
      this.changed = new Set()
      this.walk(this.root)
      this.onChange(files)
    }, this.debounceMs)
  }

  close(): void {
    this.closed = true
    if (this.timer !== null) clearTimeout(this.timer)
    for (const w of this.watchers.values()) w.close()
    this.watchers.clear()
  }
}
