// Shared state across the workers of one server, through the master (engine README "Workers"): skitai.g
// set in one worker seen by the other within 50 ms, setlu in one worker dropping the other's cached
// result, was.broadcast reaching the handlers of both. Requests go to a chosen worker over a kept-alive
// connection (the master hands each new connection to a worker; a connection stays with it).
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Client } from 'undici'
import { Cluster } from '../packages/engine/test/cluster-kit.js'

const script = fileURLToPath(new URL('./fixtures/cluster-shared/serve.ts', import.meta.url))
let back: Server
let backHits = 0
let c: Cluster
const byWorker = new Map<string, Client>()
const spare: Client[] = []

async function json(client: Client, path: string): Promise<any> {
  const r = await client.request({ method: 'GET', path })
  const text = await r.body.text()
  assert.equal(r.statusCode, 200, `${path}: ${text}`)
  return JSON.parse(text)
}

before(async () => {
  back = createServer((_req, res) => {
    backHits++
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(backHits))
  })
  await new Promise<void>((r) => back.listen(0, '127.0.0.1', r))
  const backPort = (back.address() as { port: number }).port
  c = await Cluster.start([], { script, env: { BACK_PORT: String(backPort) } })
  // one single-connection client per worker
  for (let i = 0; i < 20 && byWorker.size < 2; i++) {
    const client = new Client(`http://127.0.0.1:${c.port}`, { pipelining: 1 })
    const who = await json(client, '/who')
    if (byWorker.has(who.worker)) spare.push(client)
    else byWorker.set(who.worker, client)
  }
  assert.equal(byWorker.size, 2, 'reached both workers')
})

after(async () => {
  for (const client of [...byWorker.values(), ...spare]) await client.close()
  assert.equal((await c.stop()).code, 0)
  await new Promise((r) => back.close(r))
})

test('skitai.g.X = 4 in one worker is seen by the other within 50 ms', async () => {
  const a = byWorker.get('0') as Client
  const b = byWorker.get('1') as Client
  for (const v of [4, 5, 6]) {
    const set = await json(a, `/g/set?v=${v}`)
    let got = await json(b, `/g?v=${v}`)
    for (let i = 0; i < 100 && got.X !== v; i++) got = await json(b, `/g?v=${v}`)
    assert.equal(got.X, v)
    const ms = got.seenAt - set.at
    console.log(`skitai.g.X = ${v}: worker 0 → worker 1 in ${ms} ms`)
    assert.ok(ms <= 50, `${ms} ms`)
  }
  assert.equal((await json(a, '/g?v=6')).X, 6)
})

test("setlu in one worker drops the other worker's cached result", async () => {
  const a = byWorker.get('0') as Client
  const b = byWorker.get('1') as Client
  const b1 = (await json(b, '/cached')).n
  assert.equal((await json(b, '/cached')).n, b1, 'worker 1 answers from its cache')
  await json(a, '/setlu')
  let b2 = (await json(b, '/cached')).n
  for (let i = 0; i < 50 && b2 === b1; i++) {
    await new Promise((r) => setTimeout(r, 10))
    b2 = (await json(b, '/cached')).n
  }
  assert.notEqual(b2, b1, 'the cached result was dropped in worker 1')
  assert.equal((await json(b, '/cached')).n, b2, 'and cached again')
})

test('was.broadcast reaches the handlers in every worker', async () => {
  const a = byWorker.get('0') as Client
  const b = byWorker.get('1') as Client
  await json(a, '/ping?value=hello')
  assert.equal((await json(a, '/last-ping')).value, 'hello')
  let got = await json(b, '/last-ping')
  for (let i = 0; i < 50 && got.value !== 'hello'; i++) {
    await new Promise((r) => setTimeout(r, 10))
    got = await json(b, '/last-ping')
  }
  assert.equal(got.value, 'hello')
})
