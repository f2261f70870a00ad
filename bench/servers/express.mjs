// Express 5, configured as fastify/benchmarks does (no etag on dynamic responses, no x-powered-by).
import express from 'express'
import { HOST, KEEP_ALIVE_MS, PORT, STATIC_DIR, announce, helloBody } from './common.mjs'

const app = express()
app.disable('etag')
app.disable('x-powered-by')

app.get('/', (_req, res) => {
  res.send('Hello World')
})
app.get('/json', (_req, res) => {
  res.json({ hello: 'world' })
})
app.get('/hello/:num', (req, res) => {
  res.json(helloBody(Number(req.params.num), req.query.a, req.query.b))
})
app.post('/add', express.json(), (req, res) => {
  res.json({ result: req.body.num1 + req.body.num2 })
})
app.use('/static', express.static(STATIC_DIR))

announce({ 'was-get': 'was scenarios compare Skitai with undici', map: 'Skitai vs node:http only' })
const server = app.listen(PORT, HOST)
server.keepAliveTimeout = KEEP_ALIVE_MS
