// App-private aliases (`app.alias`, was README "Aliases") and `app.config.defaultRequestType` (was README "Backend calls"), with
// two real backends on 127.0.0.1 that answer differently.
import assert from 'node:assert/strict'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { Saddle } from '@skitai/saddle'
import { PROTO_HTTP, registerAlias, unregisterAlias } from '@skitai/was'
import { type Client, clients, closeAll } from './helpers.js'

/** A backend that names itself and echoes what it was sent. */
function backend(who: string): Promise<Server> {
  const srv = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      res.end(
        JSON.stringify({
          who,
          path: req.url,
          contentType: req.headers['content-type'] ?? null,
          accept: req.headers.accept ?? null,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      )
    })
  })
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)))
}

const portOf = (s: Server) => (s.address() as AddressInfo).port
let serverWide: Server
let appOwn: Server
let list: Client[]

function echoApp(name: string): Saddle {
  const app = new Saddle(import.meta.url, { name })
  app.route('/who', async (was) => (await was.get('@svc/who').getwait(5)).data)
  app.route('/send', async (was) => (await was.post('@svc/send', { city: 'Seoul' }).getwait(5)).data)
  return app
}

before(async () => {
  serverWide = await backend('server-wide')
  appOwn = await backend('app-own')
  registerAlias('@svc', PROTO_HTTP, `127.0.0.1:${portOf(serverWide)}`)
  const priv = echoApp('priv')
  priv.alias('@svc', PROTO_HTTP, `127.0.0.1:${portOf(appOwn)}`)
  priv.config.defaultRequestType = ['application/x-www-form-urlencoded', 'text/plain']
  const plain = echoApp('plain')
  list = await clients(['/priv', priv], ['/plain', plain])
})

after(async () => {
  await closeAll(list)
  await unregisterAlias('@svc')
  for (const s of [serverWide, appOwn]) await new Promise((r) => s.close(r))
})

test('app.alias wins inside its app; the server-wide alias of the same name serves the others', async () => {
  for (const c of list) {
    const own = await c.get('/priv/who')
    assert.equal(own.status, 200, `${c.kind}: ${own.text}`)
    assert.equal(own.json().who, 'app-own', c.kind)
    assert.equal(own.json().path, '/who')
    const other = await c.get('/plain/who')
    assert.equal(other.status, 200, `${c.kind}: ${other.text}`)
    assert.equal(other.json().who, 'server-wide', c.kind)
  }
})

test('app.config.defaultRequestType changes what was.post sends and accepts in that app only', async () => {
  for (const c of list) {
    const own = (await c.get('/priv/send')).json()
    assert.equal(own.who, 'app-own')
    assert.equal(own.contentType, 'application/x-www-form-urlencoded', c.kind)
    assert.equal(own.accept, 'text/plain', c.kind)
    assert.equal(own.body, 'city=Seoul')
    const other = (await c.get('/plain/send')).json()
    assert.equal(other.who, 'server-wide')
    assert.equal(other.contentType, 'application/json', c.kind)
    assert.equal(other.accept, 'application/json', c.kind)
    assert.deepEqual(JSON.parse(other.body), { city: 'Seoul' })
  }
})

test('app.alias rejects a bad type with a clear error', () => {
  const app = new Saddle(import.meta.url)
  assert.throws(() => app.alias('@x', 'gopher' as never, '127.0.0.1:1'), /unknown type "gopher"/)
})
