// The servers of the HTTP/2 bench (bench/h2.mjs): `node h2.mjs <kind> <port> [certDir]` — kind is
// saddle (a Saddle app on the engine: h2c beside HTTP/1.1, or h2/http1.1 by ALPN with TLS), fastify
// (`http2: true`, or `https` + `http2` with allowHTTP1), node-http2 (node:http2 createServer /
// createSecureServer with allowHTTP1, one listener), node-http2-stream (node:http2 without its
// compatibility API: `stream.respond` + `stream.end`, HTTP/2 only) or node-https (node:https, HTTP/1.1 only). With a
// cert dir the server speaks TLS. Every server answers / (Hello World), /json and /json10k (a 10 KB
// JSON body: compressed by Saddle when the client accepts gzip; `BENCH_COMPRESSION=off` turns it off).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const [kind, portArg, certDir] = process.argv.slice(2)
const port = Number(portArg)
const tls =
  certDir === undefined
    ? null
    : { cert: readFileSync(join(certDir, 'cert.pem')), key: readFileSync(join(certDir, 'key.pem')) }
const TEXT = 'text/html; charset=utf-8'
const JSON_TYPE = 'application/json; charset=utf-8'
const big = { items: Array.from({ length: 180 }, (_, i) => ({ id: i, name: `item number ${i}`, ok: i % 2 === 0 })) }

function listener(req, res) {
  if (req.url === '/') {
    res.writeHead(200, { 'content-type': TEXT, 'content-length': '11' })
    res.end('Hello World')
  } else if (req.url === '/json') {
    const body = JSON.stringify({ hello: 'world' })
    res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(body)) })
    res.end(body)
  } else if (req.url === '/json10k') {
    const body = JSON.stringify(big)
    res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(body)) })
    res.end(body)
  } else {
    res.writeHead(404)
    res.end()
  }
}

if (kind === 'saddle') {
  const skitai = (await import('@skitai/engine')).default
  const { Saddle } = await import('@skitai/saddle')
  const app = new Saddle('h2bench')
  app.route('/', (_was) => 'Hello World')
  app.route('/json', (_was) => ({ hello: 'world' }))
  app.route('/json10k', (_was) => big)
  if (tls !== null) skitai.enableSsl(join(certDir, 'cert.pem'), join(certDir, 'key.pem'))
  if (process.env.BENCH_COMPRESSION === 'off') skitai.setCompression(false)
  skitai.enableAccessLog(false)
  // h2load -c 100 -m 10 keeps 1,000 streams in flight from 127.0.0.1, over the per-address default of 500
  // (engine README "Limits"); a bench from one address turns the cap off, a site keeps it
  skitai.pref().maxInFlightPerAddress = 0
  skitai.mount('/', app)
  skitai.setKeepAlive(120)
  await skitai.listen({ address: '127.0.0.1', port })
} else if (kind === 'engine-node') {
  const skitai = (await import('@skitai/engine')).default
  if (tls !== null) skitai.enableSsl(join(certDir, 'cert.pem'), join(certDir, 'key.pem'))
  skitai.enableAccessLog(false)
  skitai.pref().maxInFlightPerAddress = 0
  skitai.mount('/', listener)
  skitai.setKeepAlive(120)
  await skitai.listen({ address: '127.0.0.1', port })
} else if (kind === 'fastify') {
  const Fastify = (await import('fastify')).default
  const app = Fastify(tls === null ? { http2: true } : { http2: true, https: { ...tls, allowHTTP1: true } })
  app.get('/', (_req, reply) => {
    reply.type(TEXT)
    return 'Hello World'
  })
  app.get('/json', () => ({ hello: 'world' }))
  app.get('/json10k', () => big)
  await app.listen({ port, host: '127.0.0.1' })
} else if (kind === 'node-http2') {
  const http2 = await import('node:http2')
  const server =
    tls === null ? http2.createServer(listener) : http2.createSecureServer({ ...tls, allowHTTP1: true }, listener)
  server.listen(port, '127.0.0.1')
} else if (kind === 'node-http2-stream') {
  const http2 = await import('node:http2')
  const server = tls === null ? http2.createServer() : http2.createSecureServer(tls)
  server.on('stream', (stream, headers) => {
    const path = headers[':path']
    // JSON serialized per request, as the other servers do
    const body =
      path === '/'
        ? 'Hello World'
        : path === '/json'
          ? JSON.stringify({ hello: 'world' })
          : path === '/json10k'
            ? JSON.stringify(big)
            : null
    if (body === null) {
      stream.respond({ ':status': 404 }, { endStream: true })
      return
    }
    stream.respond({
      ':status': 200,
      'content-type': path === '/' ? TEXT : JSON_TYPE,
      'content-length': String(Buffer.byteLength(body)),
    })
    stream.end(body)
  })
  server.listen(port, '127.0.0.1')
} else if (kind === 'node-https') {
  const https = await import('node:https')
  https.createServer({ ...tls, keepAliveTimeout: 120_000 }, listener).listen(port, '127.0.0.1')
} else {
  throw new Error(`unknown server kind ${kind}`)
}
console.log('listening')
