// Before a scenario is measured, every server's answer is fetched and compared with the first
// server's (node:http when present): status, body and content-type must be the same, byte for byte
// (the content type up to case and JSON's implied charset, see normalizeType).
import { request } from 'undici'

async function fetchOne(port, req) {
  const { statusCode, headers, body } = await request(`http://127.0.0.1:${port}${req.path}`, {
    method: req.method ?? 'GET',
    body: req.body,
    headers: req.headers,
  })
  return {
    status: statusCode,
    contentType: normalizeType(headers['content-type']),
    etag: headers.etag ?? null,
    body: Buffer.from(await body.arrayBuffer()),
  }
}

/**
 * @param scenario the scenario (its request, and `requireHeader`)
 * @param participants [{ id, port }]
 * @returns {Promise<Record<string, string|null>>} per server: null when identical, else what differs
 */
export async function checkResponses(scenario, participants) {
  const answers = await Promise.all(
    participants.map(async (p) => {
      try {
        return await fetchOne(p.port, scenario.request)
      } catch (err) {
        return { error: String(err?.message ?? err) }
      }
    }),
  )
  const ref = answers.find((a) => !a.error) ?? answers[0]
  const refId = participants[answers.indexOf(ref)].id
  const verdicts = {}
  participants.forEach((p, i) => {
    const a = answers[i]
    const problems = []
    if (a.error) problems.push(`request failed: ${a.error}`)
    else {
      if (a.status !== 200) problems.push(`status ${a.status}`)
      if (a.status !== ref.status) problems.push(`status ${a.status} ≠ ${ref.status} (${refId})`)
      if (a.contentType !== ref.contentType)
        problems.push(`content-type "${a.contentType}" ≠ "${ref.contentType}" (${refId})`)
      if (!a.body.equals(ref.body))
        problems.push(`body ${JSON.stringify(clip(a.body))} ≠ ${JSON.stringify(clip(ref.body))} (${refId})`)
      if (scenario.requireHeader === 'etag' && !a.etag) problems.push('no ETag header')
    }
    verdicts[p.id] = problems.length ? problems.join('; ') : null
  })
  return verdicts
}

/**
 * Content types are compared case-insensitively, and `application/json; charset=utf-8` equals
 * `application/json`: JSON is UTF-8 by definition and RFC 8259 defines no charset parameter (Saddle and
 * Hono send the bare type, Fastify, Express and Koa add the charset and Express cannot be told not to).
 */
function normalizeType(value) {
  const type = String(value ?? '').toLowerCase()
  return type === 'application/json; charset=utf-8' ? 'application/json' : type
}

export async function fetchJson(port, path) {
  const { body } = await request(`http://127.0.0.1:${port}${path}`)
  return body.json()
}

function clip(buf) {
  const s = buf.toString('utf8')
  return s.length > 120 ? `${s.slice(0, 120)}…` : s
}
