// Hono on @hono/node-server. Its serveStatic sends no ETag, so the static route adds hono/etag (which
// hashes the body): that is how a Hono app gets ETags.
import { serve } from '@hono/node-server'
import { serveStatic } from '@hono/node-server/serve-static'
import { Hono } from 'hono'
import { etag } from 'hono/etag'
import { relative } from 'node:path'
import { HOST, JSON_TYPE, KEEP_ALIVE_MS, PORT, STATIC_DIR, announce, helloBody } from './common.mjs'

// c.json() says plain `application/json`; the others add the charset, so Hono is told to as well.
const JSON_HEADERS = { 'content-type': JSON_TYPE }
const app = new Hono()

app.get('/', (c) => c.html('Hello World'))
app.get('/json', (c) => c.json({ hello: 'world' }, 200, JSON_HEADERS))
app.get('/hello/:num', (c) =>
  c.json(helloBody(Number(c.req.param('num')), c.req.query('a'), c.req.query('b')), 200, JSON_HEADERS),
)
app.post('/add', async (c) => {
  const body = await c.req.json()
  return c.json({ result: body.num1 + body.num2 }, 200, JSON_HEADERS)
})
app.use(
  '/static/*',
  etag(),
  serveStatic({ root: relative(process.cwd(), STATIC_DIR), rewriteRequestPath: (p) => p.slice('/static'.length) }),
)

announce({ 'was-get': 'was scenarios compare Skitai with undici', map: 'Skitai vs node:http only' })
const server = serve({ fetch: app.fetch, port: PORT, hostname: HOST })
server.keepAliveTimeout = KEEP_ALIVE_MS
