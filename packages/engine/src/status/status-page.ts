/**
 * The status page as HTML for a browser, JSON for `Accept: application/json` (README "Status page and
 * metrics").
 */
import type { StatusReport } from './figures.js'

export function wantsJson(accept: string | undefined): boolean {
  return accept?.includes('application/json') === true
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

function esc(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => ESCAPES[c] as string)
}

function table(head: string[], rows: unknown[][]): string {
  if (rows.length === 0) return '<p class="none">none</p>'
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('')
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n')
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`
}

function seconds(s: number): string {
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  return `${d > 0 ? `${d}d ` : ''}${h}h ${m}m ${Math.floor(s % 60)}s`
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`
}

export function renderStatusHtml(r: StatusReport): string {
  const c = r.connections
  const summary = table(
    ['version', 'node', 'uptime', 'workers', 'connections', 'in flight', 'requests', 'cache'],
    [
      [
        r.version,
        r.node,
        seconds(r.uptime),
        r.workers.count,
        `${c.total} (http/1.1 ${c.http1}, h2 ${c.h2}, websocket ${c.websocket})`,
        r.inFlight,
        r.requests.total ?? '-',
        `${r.cache.size} entries, hit rate ${r.cache.hitRate === null ? '-' : `${(r.cache.hitRate * 100).toFixed(1)}%`} (${r.cache.hits} hits, ${r.cache.misses} misses)`,
      ],
    ],
  )
  const missing =
    r.workers.missing.length === 0 ? '' : `<p class="warn">missing: ${r.workers.missing.map(esc).join('; ')}</p>`
  const workers = table(
    ['worker', 'pid', 'uptime', 'memory', 'connections', 'in flight', 'requests'],
    r.workers.list.map((w) => [
      w.worker,
      w.pid,
      seconds(w.uptime),
      mb(w.rss),
      w.connections,
      w.inFlight,
      w.requests ?? '-',
    ]),
  )
  const byStatus = table(
    ['status', 'requests'],
    Object.entries(r.requests.byStatus).map(([k, v]) => [k, v]),
  )
  const byApp = table(
    ['app', 'requests'],
    Object.entries(r.requests.byApp).map(([k, v]) => [k, v]),
  )
  const aliases = r.aliases
    .map(
      (a) =>
        `<h3>@${esc(a.name)} <small>${esc(a.type)}</small></h3>\n${table(
          ['member', 'weight', 'state', 'in flight', 'failures', 'calls'],
          a.members.map((m) => [
            m.address,
            m.weight,
            m.down ? `down in ${m.downIn.join(', ')}${m.downReason === null ? '' : `: ${m.downReason}`}` : 'up',
            m.inflight,
            m.failures,
            Object.entries(m.calls)
              .map(([k, v]) => `${k} ${v}`)
              .join(', '),
          ]),
        )}`,
    )
    .join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Skitai status</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f4f4f4}.warn{color:#b00}.none{color:#888}</style>
</head><body>
<h1>Skitai status</h1>
${summary}
<h2>Workers</h2>
${missing}
${workers}
<h2>Requests by status</h2>
${byStatus}
<h2>Requests by app</h2>
${byApp}
<h2>Backends</h2>
${aliases || '<p class="none">no aliases</p>'}
</body></html>
`
}
