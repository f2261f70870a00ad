// WebSocket through an '@alias' mount: createAliasUpgrade, driven from a plain server's 'upgrade' event
// the way the engine drives it for a proxy mount.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { PROTO_WS, getAlias, registerAlias, unregisterAlias } from '@skitai/was'
import WebSocket, { WebSocketServer } from 'ws'
import { createAliasUpgrade } from '../src/proxy.ts'

let wss: WebSocketServer
let front: Server
let frontPort: number
let deadPort: number

before(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((r) => wss.once('listening', r))
  wss.on('connection', (s, req) => {
    s.on('message', (m) => s.send(`${req.url}|${req.headers['x-forwarded-for']}|${req.headers['x-ltxn-id']}|${m}`))
  })
  const wsPort = (wss.address() as AddressInfo).port
  const d = createServer()
  await new Promise<void>((r) => d.listen(0, '127.0.0.1', () => r()))
  deadPort = (d.address() as AddressInfo).port
  await new Promise((r) => d.close(r))
  registerAlias('@wsx', PROTO_WS, [`127.0.0.1:${deadPort}`, `127.0.0.1:${wsPort}`], { probeInterval: 30 })
  registerAlias('@wsdead', PROTO_WS, `127.0.0.1:${deadPort}`, { probeInterval: 30 })
  const up = createAliasUpgrade('@wsx/base')
  const dead = createAliasUpgrade('@wsdead')
  front = createServer((_req, res) => res.end())
  front.on('upgrade', (req, socket, head) => {
    const [path, search = ''] = (req.url ?? '/').split('?')
    const ctx = {
      mountPoint: '/ws',
      path: path!.slice(3),
      search,
      gtxnid: 'g',
      ltxnid: 1000,
      startTime: 0,
      user: null,
      maxBodySize: 0,
      hasBody: false,
      hasOrigin: false,
      asyncId: 0,
    }
    ;(path!.startsWith('/ws/') ? up : dead)(req, socket, head, ctx)
  })
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()))
  frontPort = (front.address() as AddressInfo).port
})

after(async () => {
  await unregisterAlias('@wsx')
  await unregisterAlias('@wsdead')
  for (const c of wss.clients) c.terminate()
  await new Promise((r) => wss.close(r))
  front.closeAllConnections()
  await new Promise((r) => front.close(r))
})

test('a WebSocket goes through the alias (after failing over from a dead member) and messages flow both ways', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${frontPort}/ws/chat?room=1`)
  await new Promise((r, j) => {
    ws.once('open', r)
    ws.once('error', j)
  })
  const replies: string[] = []
  ws.on('message', (m) => replies.push(m.toString()))
  ws.send('one')
  ws.send('two')
  for (let i = 0; i < 100 && replies.length < 2; i++) await new Promise((r) => setTimeout(r, 10))
  assert.deepEqual(replies, ['/base/chat?room=1|127.0.0.1|1001|one', '/base/chat?room=1|127.0.0.1|1001|two'])
  ws.close()
  assert.equal(getAlias('@wsx')!.members[0]!.down, true)
  for (let i = 0; i < 100 && getAlias('@wsx')!.members[1]!.inflight > 0; i++)
    await new Promise((r) => setTimeout(r, 10))
  assert.equal(getAlias('@wsx')!.members[1]!.inflight, 0, 'the tunnel is counted out when closed')
})

test('502 when no member accepts the upgrade', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${frontPort}/other`)
  const status = await new Promise<number>((resolve) => {
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.once('error', () => resolve(-1))
  })
  assert.equal(status, 502)
})
