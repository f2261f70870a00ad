// Resource safety of `was`: a throwing `.map` filter, failed calls never collected, the per-request list
// of fired calls, and a process with members marked down exiting by itself.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { PROTO_HTTP, Was, makeCluster, registerAlias, unregisterAlias } from '@skitai/was'
import { type Backend, backend, json } from './helpers.ts'

let b1: Backend
let b2: Backend

before(async () => {
  b1 = await backend((_q, s) => json(s, { n: 1 }))
  b2 = await backend((_q, s) => json(s, { n: 2 }))
  registerAlias('@safe', PROTO_HTTP, [`127.0.0.1:${b1.port}`, `127.0.0.1:${b2.port}`])
})

after(async () => {
  await unregisterAlias('@safe')
  await b1.close()
  await b2.close()
})

test('a .map filter that throws drops that result (error kept) without holding getswait to its timeout', async () => {
  const w = new Was('g', 1000)
  const t0 = Date.now()
  const set = await w.get
    .map('@safe/x', {
      filter: (r) => {
        if ((r.data as { n: number }).n === 1) throw new Error('filter failed')
        return true
      },
    })
    .getswait(8)
  // Both backends answer at once; waiting for the 8 s timeout means the throw broke the collection.
  assert.ok(Date.now() - t0 < 6000, `getswait took ${Date.now() - t0} ms`)
  assert.deepEqual(set.data, [{ n: 2 }])
  assert.equal(set.all.length, 2)
  const thrower = set.all.find((r) => (r.data as { n: number }).n === 1)
  assert.equal(thrower?.error?.message, 'filter failed')
  w.close()
})

test('the list of fired calls of one long-lived was stays bounded when results are collected', async () => {
  const w = new Was('g', 1000)
  for (let i = 0; i < 600; i++) assert.equal((await w.get('@safe/x').getwait(5)).status, 3)
  const tracked = (w as unknown as { _calls: unknown[] | null })._calls?.length ?? 0
  assert.ok(tracked <= 128, `${tracked} finished calls still held by the was`)
  // Calls in flight are still cancelled by close().
  w.close()
})

test('failed calls never collected, then close(): no unhandled rejection, and the process exits by itself', async () => {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const dead = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  const script = `
    const { PROTO_HTTP, Was, registerAlias } = await import('@skitai/was')
    registerAlias('@dead', PROTO_HTTP, ['127.0.0.1:${dead}', '127.0.0.1:${dead}'], { probeInterval: 0.05 })
    const w = new Was('g', 1000)
    for (let i = 0; i < 10; i++) {
      w.get('@dead/x'); w.post('@dead/y', { a: 1 }); w.get.map('@dead/z'); w.get('http://127.0.0.1:${dead}/x')
      w.get('http://host.invalid/x'); w.rpc('@dead/rpc').a.b(1); w.jsonrpc('@dead/j').c(1); w.get('@nope/x')
      w.ws('ws://127.0.0.1:${dead}/x', 'hi')
    }
    setTimeout(() => { w.close(); console.log('closed') }, 200)
  `
  const child = spawn(
    process.execPath,
    [
      '--unhandled-rejections=strict',
      '--conditions=skitai-source',
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  child.stdout.on('data', (c) => (out += c))
  child.stderr.on('data', (c) => (out += c))
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
  clearTimeout(killer)
  assert.equal(code, 0, `the process did not exit cleanly by itself:\n${out}`)
  assert.match(out, /closed/)
})

test('a member of a closed cluster (unregistered or replaced) is never probed again', async () => {
  let probes = 0
  const s = createServer((c) => {
    probes++
    c.destroy()
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const port = (s.address() as AddressInfo).port
  const c = makeCluster('@closed', PROTO_HTTP, `127.0.0.1:${port}`, { probeInterval: 0.05 })
  await c.close()
  // A call still in flight when its alias was replaced fails afterwards and marks its member down.
  c.members[0]?.markDown('ECONNRESET: late failure')
  await new Promise((r) => setTimeout(r, 300))
  await new Promise((r) => s.close(r))
  assert.equal(probes, 0, 'the closed member was probed')
})
