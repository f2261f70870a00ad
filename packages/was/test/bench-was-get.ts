// Throughput of a handler doing one `was.get` vs the same handler calling undici's `request` directly,
// side by side (autocannon, rounds alternating). Not part of the test run (no .test. in the name):
//   node --conditions=skitai-source --import tsx packages/was/test/bench-was-get.ts [seconds] [rounds]
import { spawn, execFileSync } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Agent, request } from 'undici'
import { PROTO_HTTP, Was, registerAlias } from '@skitai/was'

const seconds = Number(process.argv[2] ?? 5)
const rounds = Number(process.argv[3] ?? 3)
const root = fileURLToPath(new URL('../../..', import.meta.url))

// The backend in its own process so it does not share the event loop with the handler under test.
const backendSrc = `
const http = require('node:http')
const body = JSON.stringify({ hello: 'world', n: 42 })
const s = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body) })
s.keepAliveTimeout = 60000
s.listen(0, '127.0.0.1', () => console.log(s.address().port))
`
const backend = spawn(process.execPath, ['-e', backendSrc], { stdio: ['ignore', 'pipe', 'inherit'] })
const bport = await new Promise<number>((r) => backend.stdout!.once('data', (d) => r(Number(String(d).trim()))))
const target = `http://127.0.0.1:${bport}/`
registerAlias('@bench', PROTO_HTTP, `127.0.0.1:${bport}`)
const agent = new Agent()

const front = createServer(async (req, res) => {
  let data: unknown
  if (req.url === '/was') {
    const w = new Was('bench', 1000)
    data = (await w.get(target).getwait(5)).data
    w.close()
  } else if (req.url === '/was-alias') {
    const w = new Was('bench', 1000)
    data = (await w.get('@bench/').getwait(5)).data
    w.close()
  } else {
    const r = await request(target, { dispatcher: agent, headers: { accept: 'application/json' } })
    data = await r.body.json()
  }
  const out = JSON.stringify(data)
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) })
  res.end(out)
})
await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()))
const fport = (front.address() as AddressInfo).port

function cannon(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      `${root}node_modules/.bin/autocannon`,
      ['-j', '-c', '50', '-d', String(seconds), `http://127.0.0.1:${fport}${path}`],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    )
    let out = ''
    p.stdout.on('data', (d) => {
      out += d
    })
    p.on('exit', () => {
      try {
        const j = JSON.parse(out)
        if (j.non2xx || j.errors) reject(new Error(`errors: ${j.non2xx} non-2xx, ${j.errors} errors`))
        resolve(j.requests.average)
      } catch (e) {
        reject(e)
      }
    })
  })
}

void execFileSync
const totals: Record<string, number[]> = { '/undici': [], '/was': [], '/was-alias': [] }
await cannon('/undici') // warm-up
await cannon('/was')
for (let i = 0; i < rounds; i++) {
  for (const p of Object.keys(totals)) totals[p]!.push(await cannon(p))
}
const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length
const base = avg(totals['/undici']!)
for (const [p, v] of Object.entries(totals)) {
  console.log(
    `${p.padEnd(12)} ${avg(v).toFixed(0).padStart(7)} req/s  (${(avg(v) / base).toFixed(3)} x undici request)  rounds: ${v.map((x) => x.toFixed(0)).join(', ')}`,
  )
}
front.close()
backend.kill()
await agent.close()
process.exit(0)
