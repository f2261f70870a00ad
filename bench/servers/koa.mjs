// Koa 3 with no router or body-parser installed: one middleware that dispatches by path (as in
// fastify/benchmarks' Koa entry), the body read by hand, static files through `send` (koa-send is
// not installed).
import Koa from 'koa'
import send from 'send'
import { HOST, KEEP_ALIVE_MS, PORT, STATIC_DIR, TEXT_TYPE, announce, helloBody } from './common.mjs'

const HELLO_NUM = /^\/hello\/(\d+)$/
const app = new Koa()

async function readJson(req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  return JSON.parse(Buffer.concat(chunks).toString())
}

app.use(async (ctx) => {
  const path = ctx.path
  if (path === '/') {
    ctx.type = TEXT_TYPE
    ctx.body = 'Hello World'
  } else if (path === '/json') {
    ctx.body = { hello: 'world' }
  } else if (path.startsWith('/hello/')) {
    const m = HELLO_NUM.exec(path)
    if (m !== null) ctx.body = helloBody(Number(m[1]), ctx.query.a, ctx.query.b)
  } else if (path === '/add' && ctx.method === 'POST') {
    const body = await readJson(ctx.req)
    ctx.body = { result: body.num1 + body.num2 }
  } else if (path.startsWith('/static/')) {
    // Koa starts every response as 404 and `send` only sets error statuses: say 200 first.
    ctx.status = 200
    ctx.respond = false
    send(ctx.req, path.slice('/static'.length), { root: STATIC_DIR }).pipe(ctx.res)
  }
})

announce({ 'was-get': 'was scenarios compare Skitai with undici', map: 'Skitai vs node:http only' })
const server = app.listen(PORT, HOST)
server.keepAliveTimeout = KEEP_ALIVE_MS
