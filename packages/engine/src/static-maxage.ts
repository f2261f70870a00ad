/**
 * `skitai.setMaxAge(prefix, seconds)`: per URL-path prefix cache lifetime for static files.
 * A prefix covers itself and everything below it by whole path segments ('/js' covers '/js' and
 * '/js/app.js' but not '/jsx/app.js'); the longest matching prefix wins.
 */

interface MaxAgeEntry {
  /** The prefix without a trailing slash: '' for '/'. */
  readonly prefix: string
  readonly seconds: number
}

export class MaxAgeTable {
  /** Longest prefix first, so the first match is the answer. */
  private entries: MaxAgeEntry[] = []

  set(prefix: string, seconds: number): void {
    if (typeof prefix !== 'string' || prefix[0] !== '/') {
      throw new TypeError(`setMaxAge: the prefix must be a URL path starting with '/', got ${JSON.stringify(prefix)}`)
    }
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw new TypeError(`setMaxAge: seconds must be a non-negative integer, got ${String(seconds)} for '${prefix}'`)
    }
    let end = prefix.length
    while (end > 0 && prefix.charCodeAt(end - 1) === 47 /* '/' */) end--
    const normalized = prefix.slice(0, end)
    const kept = this.entries.filter((e) => e.prefix !== normalized)
    kept.push({ prefix: normalized, seconds })
    kept.sort((a, b) => b.prefix.length - a.prefix.length)
    this.entries = kept
  }

  /** `urlPath` is the full URL path (mount point included, no query string). */
  lookup(urlPath: string): number | undefined {
    const entries = this.entries
    for (let i = 0; i < entries.length; i++) {
      const { prefix, seconds } = entries[i]!
      if (
        urlPath.startsWith(prefix) &&
        (urlPath.length === prefix.length || urlPath.charCodeAt(prefix.length) === 47) /* '/' */
      ) {
        return seconds
      }
    }
    return undefined
  }

  get size(): number {
    return this.entries.length
  }
}
