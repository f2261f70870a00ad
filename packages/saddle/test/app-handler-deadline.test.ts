/**
 * The handler deadline (`setHandlerTimeout`) answering a Saddle request: besides the 503, the request is
 * released as its end would have released it — teardown hooks (package, then app) and `was.temp`
 * callbacks once, `was.close()` (a pending backend call cancelled, the temporary upload file removed) —
 * and a handler that settles after the deadline writes nothing more, runs no second teardown and crashes
 * nothing. Real sockets, a real backend that never answers, the access log read back.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Engine } from '@skitai/engine'
import { Package, Saddle, type UploadedFile } from '@skitai/saddle'

const trail: string[] = []
let lateSettled: () => void = () => {}

function makeApp(tempDir: string, backend: string): Saddle {
  const app = new Saddle(import.meta.url, { name: 'deadline' })
  app.config.uploadTempDir = tempDir
  app.teardownRequest((was) => {
    trail.push(`app.teardown ${was.request.path}`)
  })
  app.route('/hang', (was) => {
    was.temp.bind('except', () => trail.push('temp.except /hang'))
    was.temp.bind('end', () => trail.push('temp.end /hang'))
    return new Promise(() => {})
  })
  app.route('/late', async () => {
    await sleep(2500)
    trail.push('late handler settled')
    setImmediate(lateSettled)
    return 'too late'
  })
  app.route('/backend', async (was) => {
    trail.push('backend call fired')
    return await was.get(backend).fetch()
  })
  app.route('/up', { methods: ['POST'] }, (_was, file: UploadedFile) => {
    trail.push(`upload ${file.size} bytes`)
    return new Promise(() => {})
  })
  const pkg = new Package()
  pkg.teardownRequest((was) => {
    trail.push(`pkg.teardown ${was.request.path}`)
  })
  pkg.route('/hang', () => new Promise(() => {}))
  app.addPackage(pkg, { prefix: '/p', ns: 'p' })
  return app
}

/**
 * Sends `data` and collects what comes back (the connection kept open, as a keep-alive client) for `ms`,
 * or until a whole answer is in and 200 ms more have passed without a byte (anything written late shows).
 */
function collect(port: number, data: string | Buffer, ms: number, whole = true): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    let text = ''
    let quiet: NodeJS.Timeout | undefined
    const done = () => {
      clearTimeout(quiet)
      clearTimeout(limit)
      s.destroy()
      resolve(text)
    }
    const limit = setTimeout(done, ms)
    s.on('data', (d) => {
      text += d.toString('latin1')
      clearTimeout(quiet)
      if (whole && answered(text)) quiet = setTimeout(done, 200)
    })
    s.on('error', () => {})
    s.on('connect', () => s.write(data))
  })
}

/** One response with its whole body (Content-Length). */
function answered(text: string): boolean {
  const at = text.indexOf('\r\n\r\n')
  const length = /\r\ncontent-length: (\d+)/i.exec(text)
  return at >= 0 && length !== null && text.length >= at + 4 + Number(length[1])
}

const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]))

async function until(ok: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (ok()) return true
  return ok()
}

describe('handler deadline: a Saddle request answered 503 is torn down once', () => {
  const tempDir = mkdtempSync(join(tmpdir(), 'saddle-deadline-up-'))
  const logDir = mkdtempSync(join(tmpdir(), 'saddle-deadline-log-'))
  const engine = new Engine()
  const held: IncomingMessage[] = []
  let backendGone = 0
  let backend: Server
  let port = 0
  before(async () => {
    // a backend that takes the request and never answers
    backend = createServer((req) => {
      held.push(req)
      req.socket.on('close', () => backendGone++)
    })
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()))
    const url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/slow`
    engine.enableFileLogging(logDir)
    engine.setHandlerTimeout(1)
    engine.mount('/', makeApp(tempDir, url))
    port = await engine.listen({ port: 0, address: '127.0.0.1' })
  })
  after(async () => {
    await engine.close(0)
    backend.closeAllConnections()
    await new Promise((r) => backend.close(r))
    rmSync(tempDir, { recursive: true, force: true })
    rmSync(logDir, { recursive: true, force: true })
  })

  test('a handler that never settles: 503, then teardown and the temp callbacks, once each', async () => {
    trail.length = 0
    const text = await collect(port, 'GET /hang HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n', 3500)
    assert.deepEqual(statuses(text), [503])
    assert.match(text, /handler timeout: no answer within 1 s/)
    await until(() => trail.length === 3, 1000)
    assert.deepEqual(trail, ['app.teardown /hang', 'temp.except /hang', 'temp.end /hang'])
  })

  test('in a package: the package teardown, then the app teardown', async () => {
    trail.length = 0
    const text = await collect(port, 'GET /p/hang HTTP/1.1\r\nHost: x\r\n\r\n', 3500)
    assert.deepEqual(statuses(text), [503])
    await until(() => trail.length === 2, 1000)
    assert.deepEqual(trail, ['pkg.teardown /p/hang', 'app.teardown /p/hang'])
  })

  test('a handler that settles after the deadline: its result is dropped, no second write or teardown', async () => {
    trail.length = 0
    const settled = new Promise<void>((r) => {
      lateSettled = r
    })
    const text = collect(port, 'GET /late HTTP/1.1\r\nHost: x\r\n\r\n', 4000, false)
    await settled
    await sleep(300)
    const got = await text
    assert.deepEqual(statuses(got), [503], got)
    assert.doesNotMatch(got, /too late/)
    assert.deepEqual(trail, ['app.teardown /late', 'late handler settled'])
    // the server goes on serving
    assert.deepEqual(statuses(await collect(port, 'GET /p/none HTTP/1.1\r\nHost: x\r\n\r\n', 300)), [404])
  })

  test('a backend call still pending is cancelled: the backend sees its connection closed', async () => {
    trail.length = 0
    const gone = backendGone
    const text = await collect(port, 'GET /backend HTTP/1.1\r\nHost: x\r\n\r\n', 3000)
    assert.deepEqual(statuses(text), [503])
    assert.equal(held.length > 0, true, 'the backend got the call')
    assert.ok(await until(() => backendGone > gone, 2000), 'the backend connection is closed')
    assert.deepEqual(trail, ['backend call fired', 'app.teardown /backend'])
  })

  test('a handler holding an uploaded file: 503, and the temporary file is gone', async () => {
    trail.length = 0
    const B = 'deadlineBoundary'
    const body =
      `--${B}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n${'x'.repeat(5000)}\r\n` +
      `--${B}--\r\n`
    const head =
      `POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${B}\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`
    const reply = collect(port, head + body, 3500)
    assert.ok(await until(() => readdirSync(tempDir).length === 1, 2000), 'the upload is on disk while handled')
    const text = await reply
    assert.deepEqual(statuses(text), [503])
    await until(() => trail.length === 2, 1000)
    assert.deepEqual(trail, ['upload 5000 bytes', 'app.teardown /up'])
    assert.deepEqual(readdirSync(tempDir), [])
  })

  test('the access log says 503 once for each', async () => {
    await engine.log.flush?.()
    await sleep(200)
    const lines = readFileSync(join(logDir, 'request.log'), 'utf8').trim().split('\n')
    for (const path of ['/hang', '/p/hang', '/late', '/backend', '/up']) {
      const mine = lines.filter((l) => l.includes(` ${path} HTTP/1.1 `))
      assert.equal(mine.length, 1, `${path}: ${mine.join('\n')}`)
      assert.match(mine[0]!, / 503 /, mine[0])
    }
  })
})
