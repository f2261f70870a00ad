// The backends of scenarios 6 and 7, in a process of their own: one that answers {"hello":"world"}
// at once, and the map members that answer after 50 ms.
import { createServer } from 'node:http'
import { BACKEND_URL, HOST, MAP_MEMBERS } from './common.mjs'

const HELLO = JSON.stringify({ hello: 'world' })
const HEADERS = { 'content-type': 'application/json', 'content-length': String(HELLO.length) }
const DELAY_MS = Number(process.env.BENCH_MAP_DELAY_MS ?? 50)

function listen(port, handler) {
  const server = createServer({ keepAliveTimeout: 120_000 }, handler)
  return new Promise((resolve) => server.listen(port, HOST, resolve))
}

await listen(Number(new URL(BACKEND_URL).port), (_req, res) => {
  res.writeHead(200, HEADERS)
  res.end(HELLO)
})
await Promise.all(
  MAP_MEMBERS.map((member, i) => {
    const body = JSON.stringify({ member: i, delayed: DELAY_MS })
    const headers = { 'content-type': 'application/json', 'content-length': String(body.length) }
    return listen(Number(member.split(':')[1]), (_req, res) => {
      setTimeout(() => {
        res.writeHead(200, headers)
        res.end(body)
      }, DELAY_MS)
    })
  }),
)
if (process.send) process.send({ type: 'listening' })
