// Pipelined responses of one connection leave in one system call (src/write-coalescing.ts): counted at
// the socket handle (every write node makes to the kernel goes through one of its write methods).
import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import { test } from 'node:test'
import { WebSocket } from 'ws'
import { type Engine, SKITAI_APP } from '@skitai/engine'
import { isCoalescing } from '../src/write-coalescing.js'
import { quietEngine, raw, sleep, statuses } from './helpers.js'

const HANDLE_WRITES = [
  'writev',
  'writeBuffer',
  'writeLatin1String',
  'writeUtf8String',
  'writeAsciiString',
  'writeUcs2String',
]

/** Counts the kernel writes of every server connection from now on. */
function countHandleWrites(engine: Engine): { writes: number; sockets: Socket[]; names: string[] } {
  const counter = { writes: 0, sockets: [] as Socket[], names: [] as string[] }
  engine.server!.on('connection', (socket: Socket) => {
    counter.sockets.push(socket)
    const handle = (socket as any)._handle
    for (const name of HANDLE_WRITES) {
      const original = handle[name]
      if (typeof original !== 'function') continue
      handle[name] = function (this: unknown, ...args: unknown[]) {
        counter.writes++
        counter.names.push(name)
        return original.apply(this, args)
      }
    }
  })
  return counter
}

function pipelined(paths: string[], last = ''): string {
  return paths.map((p, i) => `GET ${p} HTTP/1.1\r\nHost: x\r\n${i === paths.length - 1 ? last : ''}\r\n`).join('')
}

function bodies(text: string): string[] {
  return text
    .split('HTTP/1.1 ')
    .slice(1)
    .map((r) => r.slice(r.indexOf('\r\n\r\n') + 4))
}

/** A client connection that keeps everything it receives; `onData` sees the text so far. */
async function client(port: number, onData: (text: string) => void = () => {}) {
  const socket = connect(port, '127.0.0.1')
  await new Promise((r) => socket.once('connect', r))
  const got = { socket, text: '' }
  socket.on('data', (d) => {
    got.text += d
    onData(got.text)
  })
  return got
}

async function started(listener: (req: IncomingMessage, res: ServerResponse) => void, coalesce = true) {
  const engine = quietEngine()
  engine.pref().coalescePipelinedWrites = coalesce
  engine.mount('/', listener)
  const port = await engine.listen({ port: 0 })
  return { engine, port, counter: countHandleWrites(engine) }
}

const echoPath = (req: IncomingMessage, res: ServerResponse) => {
  const body = `body of ${req.url}`
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(body.length) })
  res.end(body)
}

test('ten pipelined requests in one packet: ten answers, in order, in at most two kernel writes', async () => {
  const { engine, port, counter } = await started(echoPath)
  try {
    const paths = Array.from({ length: 10 }, (_, i) => `/r${i}`)
    const r = await raw(port, pipelined(paths), { until: (t) => t.includes('body of /r9') })
    assert.deepEqual(statuses(r.text), Array(10).fill(200))
    assert.deepEqual(
      bodies(r.text),
      paths.map((p) => `body of ${p}`),
    )
    // the first answer leaves before the rest are parsed; the other nine go out together
    assert.ok(counter.writes <= 2, `${counter.writes} kernel writes for ten pipelined responses`)
  } finally {
    await engine.close()
  }
})

test('with coalescePipelinedWrites off, node writes each response on its own (the count above is real)', async () => {
  const { engine, port, counter } = await started(echoPath, false)
  try {
    const paths = Array.from({ length: 10 }, (_, i) => `/r${i}`)
    const r = await raw(port, pipelined(paths), { until: (t) => t.includes('body of /r9') })
    assert.deepEqual(
      bodies(r.text),
      paths.map((p) => `body of ${p}`),
    )
    assert.equal(counter.writes, 10)
  } finally {
    await engine.close()
  }
})

test('a client that does not pipeline gets every answer at once (nothing is held for a later request)', async () => {
  const { engine, port, counter } = await started(echoPath)
  try {
    const c = await client(port)
    for (let i = 0; i < 5; i++) {
      c.socket.write(`GET /one${i} HTTP/1.1\r\nHost: x\r\n\r\n`)
      // the answer arrives without a further request to push it out
      for (let k = 0; k < 100 && !c.text.includes(`body of /one${i}`); k++) await sleep(5)
      assert.ok(c.text.includes(`body of /one${i}`), `answer ${i} arrived`)
    }
    assert.equal(counter.writes, 5)
    c.socket.destroy()
  } finally {
    await engine.close()
  }
})

test('a held answer does not wait for a slow handler of a later pipelined request', async () => {
  let releaseSlow!: () => void
  const slowMayAnswer = new Promise<void>((r) => {
    releaseSlow = r
  })
  const { engine, port } = await started((req, res) => {
    if (req.url === '/slow') slowMayAnswer.then(() => res.end('slow done'))
    else res.end(`body of ${req.url}`)
  })
  try {
    // the slow handler answers only once the client has the answers before it
    const c = await client(port, (text) => {
      if (text.includes('body of /b')) releaseSlow()
    })
    // /b's answer is held (requests after it are queued) while /slow's handler waits for the client to
    // have read it: held bytes must go out in the same turn of the event loop, not with the next answer
    c.socket.write(pipelined(['/a', '/b', '/slow', '/c']))
    for (let k = 0; k < 200 && !c.text.includes('body of /c'); k++) await sleep(10)
    assert.deepEqual(bodies(c.text), ['body of /a', 'body of /b', 'slow done', 'body of /c'])
    c.socket.destroy()
  } finally {
    await engine.close()
  }
})

test('large pipelined bodies (1 MB each, over the 64 KiB hold limit) arrive whole, in order, and the connection closes after the last', async () => {
  const big = (c: string) => Buffer.alloc(1024 * 1024, c)
  const { engine, port } = await started((req, res) => {
    const body = big(req.url === '/x' ? 'x' : req.url === '/y' ? 'y' : 'z')
    res.writeHead(200, { 'content-length': String(body.length) })
    res.end(body)
  })
  try {
    const r = await raw(port, pipelined(['/x', '/y', '/z'], 'Connection: close\r\n'), { ms: 10_000 })
    assert.deepEqual(statuses(r.text), [200, 200, 200])
    const got = bodies(r.text)
    assert.equal(got.length, 3)
    for (const [i, c] of ['x', 'y', 'z'].entries()) {
      assert.equal(got[i]!.length, 1024 * 1024)
      assert.ok(got[i] === c.repeat(1024 * 1024), `body ${i} is all '${c}'`)
    }
    assert.ok(r.closed)
  } finally {
    await engine.close()
  }
})

test('Connection: close on the last pipelined request: every held answer is written before the close', async () => {
  const { engine, port, counter } = await started(echoPath)
  try {
    const paths = ['/p1', '/p2', '/p3', '/p4']
    const r = await raw(port, pipelined(paths, 'Connection: close\r\n'), { ms: 3000 })
    assert.deepEqual(
      bodies(r.text),
      paths.map((p) => `body of ${p}`),
    )
    assert.ok(r.closed, 'the server closed the connection')
    assert.ok(counter.writes <= 2)
  } finally {
    await engine.close()
  }
})

test('many pipelined rounds on many connections: every answer matches its request', async () => {
  const { engine, port } = await started((req, res) => {
    // a mix of sync answers and answers a tick later
    if (req.url!.endsWith('5')) setImmediate(() => res.end(`late ${req.url}`))
    else res.end(`body of ${req.url}`)
  })
  try {
    const conns = await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        const paths = Array.from({ length: 40 }, (_, i) => `/c${c}/r${i}`)
        const r = await raw(port, pipelined(paths.slice(0, 20)) + pipelined(paths.slice(20)), {
          ms: 5000,
          until: (t) => t.includes(`/c${c}/r39`),
        })
        return { paths, got: bodies(r.text) }
      }),
    )
    for (const { paths, got } of conns) {
      assert.deepEqual(
        got,
        paths.map((p) => (p.endsWith('5') ? `late ${p}` : `body of ${p}`)),
      )
    }
  } finally {
    await engine.close()
  }
})

test('a WebSocket upgrade gets the plain socket back (nothing of it is held)', async () => {
  const engine = quietEngine()
  let upgraded: Socket | null = null
  const app = {
    [SKITAI_APP]: true,
    mount() {},
    handle(_req: IncomingMessage, res: ServerResponse) {
      res.end('plain')
    },
    upgrade(_req: IncomingMessage, socket: Socket) {
      upgraded = socket
      socket.end('HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
      return true
    },
  }
  engine.mount('/', app as any)
  const port = await engine.listen({ port: 0 })
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
    await new Promise((r) => ws.once('error', r).once('unexpected-response', r))
    ws.terminate()
    assert.ok(upgraded !== null, 'the app saw the upgrade')
    assert.equal(isCoalescing(upgraded!), false)
  } finally {
    await engine.close()
  }
})

test('a response ended with its body leaves as one string write, not writev (and keeps its encoding)', async () => {
  const utf8 = 'héllo ✓ 💡'
  const latin1 = 'caf\u00e9'
  const binary = Buffer.from([0, 1, 2, 250, 251, 252])
  const { engine, port, counter } = await started((req, res) => {
    if (req.url === '/utf8') {
      res.writeHead(200, { 'content-length': String(Buffer.byteLength(utf8)) })
      res.end(utf8)
    } else if (req.url === '/latin1') {
      res.writeHead(200, { 'content-length': String(latin1.length) })
      res.end(latin1, 'latin1')
    } else {
      res.writeHead(200, { 'content-length': String(binary.length) })
      res.end(binary)
    }
  })
  try {
    const got: Buffer[] = []
    for (const path of ['/utf8', '/latin1', '/binary']) {
      const before = counter.names.length
      const socket = connect(port, '127.0.0.1')
      const chunks: Buffer[] = []
      socket.on('data', (d) => chunks.push(d))
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
      await new Promise((r) => socket.once('close', r))
      const all = Buffer.concat(chunks)
      got.push(all.subarray(all.indexOf('\r\n\r\n') + 4))
      const names = counter.names.slice(before)
      if (path === '/binary') assert.deepEqual(names, ['writev'], 'head string + body buffer: writev as before')
      else assert.deepEqual(names, [path === '/utf8' ? 'writeUtf8String' : 'writeLatin1String'], path)
    }
    assert.equal(got[0]!.toString('utf8'), utf8)
    assert.deepEqual(got[1], Buffer.from(latin1, 'latin1'))
    assert.deepEqual(got[2], binary)
  } finally {
    await engine.close()
  }
})
