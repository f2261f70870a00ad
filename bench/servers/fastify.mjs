// Fastify 5, written the way fastify/benchmarks writes it (a response schema on the JSON route, so
// fast-json-stringify serializes it). No @fastify/static is installed: the static route hands the
// request to `send`, the library @fastify/static is built on.
import Fastify from 'fastify'
import send from 'send'
import { HOST, KEEP_ALIVE_MS, PORT, STATIC_DIR, TEXT_TYPE, announce, helloBody } from './common.mjs'

const app = Fastify({ logger: false, keepAliveTimeout: KEEP_ALIVE_MS })
const helloSchema = {
  schema: { response: { 200: { type: 'object', properties: { hello: { type: 'string' } } } } },
}

app.get('/', (_req, reply) => {
  reply.type(TEXT_TYPE)
  return 'Hello World'
})
app.get('/json', helloSchema, () => ({ hello: 'world' }))
app.get('/hello/:num', (req) => helloBody(Number(req.params.num), req.query.a, req.query.b))
app.post('/add', (req) => ({ result: req.body.num1 + req.body.num2 }))
app.get('/static/*', (req, reply) => {
  reply.hijack()
  send(req.raw, `/${req.params['*']}`, { root: STATIC_DIR }).pipe(reply.raw)
})

announce({ 'was-get': 'was scenarios compare Skitai with undici', map: 'Skitai vs node:http only' })
await app.listen({ port: PORT, host: HOST })
