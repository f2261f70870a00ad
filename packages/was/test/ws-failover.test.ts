// was.ws over an alias with a dead member: the call fails over to a live member (README "Aliases" `.lb` on every
// method) and gets the reply, instead of ending when the refused connection closes.
import assert from 'node:assert/strict'
import { createServer, type AddressInfo } from 'node:net'
import { test } from 'node:test'
import { WebSocketServer } from 'ws'
import { PROTO_WS, Was, getAlias, registerAlias, unregisterAlias } from '@skitai/was'

test('was.ws fails over from a member refusing connections to a live one', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((r) => wss.once('listening', r))
  wss.on('connection', (s) => s.on('message', (m) => s.send(`echo:${m}`)))
  const live = (wss.address() as AddressInfo).port
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()))
  const dead = (probe.address() as AddressInfo).port
  await new Promise((r) => probe.close(r))
  // The dead member first, weighted so the balancer picks it first.
  registerAlias('@wsfo', PROTO_WS, [`127.0.0.1:${dead} 5`, `127.0.0.1:${live}`], { probeInterval: 30 })
  try {
    const was = new Was('g', 1000)
    const r = await was.ws('@wsfo/x', 'hi').getwait(5)
    assert.equal(r.status, 3, r.reason)
    assert.equal(r.data, 'echo:hi')
    const members = getAlias('@wsfo')?.members ?? []
    assert.equal(members[0]?.down, true, 'the refusing member is marked down')
    assert.deepEqual(
      members.map((m) => m.inflight),
      [0, 0],
    )
    was.close()
  } finally {
    await unregisterAlias('@wsfo')
    for (const c of wss.clients) c.terminate()
    await new Promise((r) => wss.close(r))
  }
})
