/**
 * The few request headers the engine itself needs (Content-Length, Transfer-Encoding, X-Gtxn-Id,
 * X-Ltxn-Id, how many Host, whether Origin, Accept-Encoding, whether Range/If-*), read straight from `req.rawHeaders`. Node builds `req.headers` lazily; touching it would
 * cost every request the whole object even when the app never looks at a header. Names are compared
 * only when their length fits.
 */
export class HeadFacts {
  /** Content-Length, -1 when absent (Node has already rejected malformed values). */
  contentLength = -1
  chunked = false
  gtxnid: string | undefined = undefined
  ltxnid: string | undefined = undefined
  /** How many Host headers (more than one is refused), and the (first) value. */
  hosts = 0
  host: string | undefined = undefined
  origin = false
  acceptEncoding: string | undefined = undefined
  /** A Range or any If-* precondition header. */
  conditional = false
}

/** Overwritten by each scan and read synchronously right after it (one request at a time). */
const facts = new HeadFacts()

export function scanHead(raw: string[]): HeadFacts {
  facts.contentLength = -1
  facts.chunked = false
  facts.gtxnid = undefined
  facts.ltxnid = undefined
  facts.hosts = 0
  facts.host = undefined
  facts.origin = false
  facts.acceptEncoding = undefined
  facts.conditional = false
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    switch (name.length) {
      case 4:
        if (name === 'Host' || name === 'host' || name.toLowerCase() === 'host') {
          if (facts.hosts++ === 0) facts.host = raw[i + 1]
        }
        break
      case 10:
        // HTTP/2 names the host in `:authority` (a Host header, when sent too, wins)
        if (facts.hosts === 0 && name === ':authority') facts.host = raw[i + 1]
        break
      case 6:
        if (name === 'Origin' || name === 'origin' || name.toLowerCase() === 'origin') facts.origin = true
        break
      case 14:
        if (facts.contentLength < 0 && name.toLowerCase() === 'content-length') facts.contentLength = Number(raw[i + 1])
        break
      case 17: {
        const lower = name.toLowerCase()
        if (lower === 'transfer-encoding') facts.chunked = true
        else if (lower === 'if-modified-since') facts.conditional = true
        break
      }
      case 15:
        if (facts.acceptEncoding === undefined && name.toLowerCase() === 'accept-encoding')
          facts.acceptEncoding = raw[i + 1]
        break
      case 5:
        if (name === 'Range' || name === 'range' || name.toLowerCase() === 'range') facts.conditional = true
        break
      case 8: {
        const lower = name.toLowerCase()
        if (lower === 'if-match' || lower === 'if-range') facts.conditional = true
        break
      }
      case 13:
        if (name.toLowerCase() === 'if-none-match') facts.conditional = true
        break
      case 19:
        if (name.toLowerCase() === 'if-unmodified-since') facts.conditional = true
        break
      case 9: {
        const lower = name.toLowerCase()
        if (lower === 'x-gtxn-id') facts.gtxnid ??= raw[i + 1]
        else if (lower === 'x-ltxn-id') facts.ltxnid ??= raw[i + 1]
        break
      }
    }
  }
  return facts
}
