// A client leaving an '@alias' proxy mid-download or mid-upload: the exchange with the member is cut too
// (the member sees its connection close) and the member's load count goes back to 0.
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { after, before, test } from 'node:test'
import { Engine } from '@skitai/engine'
import { PROTO_HTTP, getAlias, registerAlias, unregisterAlias } from '@skitai/was'

let member: Server
let engine: Engine
let port: number
/** Resolved when the member's side of a request closes. */
let memberClosed: Promise<string> = Promise.resolve('')
let signalClosed: (why: string) => void = () => {}
let uploaded = 0

function handler(req: IncomingMessage, res: ServerResponse): void {
  memberClosed = new Promise((r) => (signalClosed = r))
  res.on('close', () => signalClosed(res.writableFinished ? 'finished' : 'cut'))
  if (req.url === '/endless') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    const chunk = Buffer.alloc(64 * 1024, 97)
    const pump = () => {
      while (!res.destroyed) if (!res.write(chunk)) return void res.once('drain', pump)
    }
    pump()
    return
  }
  uploaded = 0
  req.on('data', (c: Buffer) => (uploaded += c.length))
  req.on('end', () => res.end('ok'))
}

before(async () => {
  member = createServer(handler)
  await new Promise<void>((r) => member.listen(0, '127.0.0.1', () => r()))
  registerAlias('@pab', PROTO_HTTP, `127.0.0.1:${(member.address() as AddressInfo).port}`)
  engine = new Engine()
  engine.pref().maxClientBodySize = 1024 * 1024 * 1024
  engine.mount('/m', '@pab')
  port = await engine.listen({ port: 0, address: '127.0.0.1' })
})

after(async () => {
  await engine.close(1)
  await unregisterAlias('@pab')
  member.closeAllConnections()
  await new Promise((r) => member.close(r))
})

const inflight = () => getAlias('@pab')?.members[0]?.inflight ?? -1

async function settle(): Promise<void> {
  for (let i = 0; i < 100 && inflight() !== 0; i++) await new Promise((r) => setTimeout(r, 20))
}

test('client abort mid-download: the member connection is cut and its load released', async () => {
  const s = connect(port, '127.0.0.1')
  s.write(`GET /m/endless HTTP/1.1\r\nHost: x\r\n\r\n`)
  let got = 0
  await new Promise<void>((r) =>
    s.on('data', (c) => {
      got += c.length
      if (got > 512 * 1024) r()
    }),
  )
  s.destroy()
  const why = await Promise.race([memberClosed, new Promise((r) => setTimeout(() => r('still open'), 5000))])
  assert.equal(why, 'cut')
  await settle()
  assert.equal(inflight(), 0)
})

test('client abort mid-upload: the member request is cut and its load released', async () => {
  const s = connect(port, '127.0.0.1')
  s.write(`POST /m/up HTTP/1.1\r\nHost: x\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`)
  const chunk = Buffer.alloc(64 * 1024, 98)
  for (let i = 0; i < 16; i++) s.write(chunk)
  for (let i = 0; i < 100 && uploaded < 256 * 1024; i++) await new Promise((r) => setTimeout(r, 20))
  assert.ok(uploaded >= 256 * 1024, `the member received ${uploaded} bytes before the abort`)
  s.destroy()
  const why = await Promise.race([memberClosed, new Promise((r) => setTimeout(() => r('still open'), 5000))])
  assert.equal(why, 'cut')
  await settle()
  assert.equal(inflight(), 0)
  // The alias still serves requests afterwards.
  const ok = await fetch(`http://127.0.0.1:${port}/m/again`, { method: 'POST', body: 'x' })
  assert.equal(await ok.text(), 'ok')
})
