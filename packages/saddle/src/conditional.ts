/**
 * Conditional requests for app responses (RFC 9110 §13.2.2), used by `was.response.setEtag/setMtime`.
 * Returns the status to answer instead of running the handler (304 or 412), or 200 to go on.
 * (The engine has the same logic for static files; this copy keeps Saddle independent of that module's
 * export, and works on the header values already at hand.)
 */
export function evaluateConditional(
  method: string,
  headers: Record<string, string | string[] | undefined>,
  etag: string | undefined,
  mtimeSeconds: number | undefined,
): 200 | 304 | 412 {
  const ifMatch = headers['if-match']
  if (typeof ifMatch === 'string') {
    if (etag === undefined || !etagListMatches(ifMatch, etag, true)) return 412
  } else if (mtimeSeconds !== undefined) {
    const ius = headers['if-unmodified-since']
    if (typeof ius === 'string') {
      const t = Date.parse(ius)
      if (!Number.isNaN(t) && mtimeSeconds > Math.floor(t / 1000)) return 412
    }
  }
  const safe = method === 'GET' || method === 'HEAD'
  const inm = headers['if-none-match']
  if (typeof inm === 'string') {
    if (etag !== undefined && etagListMatches(inm, etag, false)) return safe ? 304 : 412
    return 200
  }
  if (safe && mtimeSeconds !== undefined) {
    const ims = headers['if-modified-since']
    if (typeof ims === 'string') {
      const t = Date.parse(ims)
      if (!Number.isNaN(t) && mtimeSeconds <= Math.floor(t / 1000)) return 304
    }
  }
  return 200
}

function etagListMatches(list: string, etag: string, strong: boolean): boolean {
  if (list.trim() === '*') return true
  if (strong && etag.startsWith('W/')) return false
  const bare = etag.startsWith('W/') ? etag.slice(2) : etag
  for (let tag of list.split(',')) {
    tag = tag.trim()
    if (tag.startsWith('W/')) {
      if (strong) continue
      tag = tag.slice(2)
    }
    if (tag === bare) return true
  }
  return false
}
