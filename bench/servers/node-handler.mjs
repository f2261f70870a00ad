// The raw node:http request listener: the baseline of every ratio. The "skitai-engine" server mounts
// this very listener on the engine, so the two differ only by the engine in front of it.
import { parse as querystring } from 'node:querystring'
import send from 'send'
import { request } from 'undici'
import xmlrpcSerializer from 'xmlrpc/lib/serializer.js'
import XmlrpcDeserializer from 'xmlrpc/lib/deserializer.js'
import {
  BACKEND_URL,
  handlerStats,
  helloBody,
  JSON_TYPE,
  MAP_MEMBERS,
  recordHandler,
  STATIC_DIR,
  TEXT_TYPE,
  XML_TYPE,
} from './common.mjs'

const HELLO = 'Hello World'
const HELLO_HEADERS = { 'content-type': TEXT_TYPE, 'content-length': String(Buffer.byteLength(HELLO)) }
const HELLO_NUM = /^\/hello\/(\d+)$/
const MAP_URLS = MAP_MEMBERS.map((m) => `http://${m}/`)

function sendJson(res, value, status = 200) {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(body)) })
  res.end(body)
}

function notFound(res) {
  res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '9' })
  res.end('Not Found')
}

function readBody(req, done) {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => done(Buffer.concat(chunks)))
}

async function fetchJson(url) {
  const { body } = await request(url)
  return body.json()
}

/** Scenario 6 for a plain listener: undici `request` directly (the engine server swaps in `was.get`). */
export function backendWithUndici() {
  return fetchJson(BACKEND_URL)
}

/**
 * @param {{ backend?: () => Promise<unknown>, serveStatic?: boolean }} [options]
 *   backend: how /backend reaches the backend; serveStatic: false when something in front serves /static
 */
export function createNodeHandler(options = {}) {
  const backend = options.backend ?? backendWithUndici
  const serveStatic = options.serveStatic ?? true
  return function nodeHandler(req, res) {
    const url = req.url
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    if (path === '/') {
      res.writeHead(200, HELLO_HEADERS)
      res.end(HELLO)
      return
    }
    if (path === '/json') return sendJson(res, { hello: 'world' })
    if (path.startsWith('/hello/')) {
      const m = HELLO_NUM.exec(path)
      if (m === null) return notFound(res)
      const query = querystring(q === -1 ? '' : url.slice(q + 1))
      return sendJson(res, helloBody(Number(m[1]), query.a, query.b))
    }
    if (path === '/add' && req.method === 'POST') {
      return readBody(req, (buf) => {
        let body
        try {
          body = JSON.parse(buf.toString())
        } catch {
          return sendJson(res, { error: 'bad JSON' }, 400)
        }
        sendJson(res, { result: body.num1 + body.num2 })
      })
    }
    if (serveStatic && path.startsWith('/static/')) {
      send(req, path.slice('/static'.length), { root: STATIC_DIR }).pipe(res)
      return
    }
    if (path === '/backend') {
      backend().then(
        (data) => sendJson(res, data),
        (err) => sendJson(res, { error: String(err) }, 502),
      )
      return
    }
    if (path === '/map') {
      const t0 = performance.now()
      Promise.all(MAP_URLS.map(fetchJson)).then(
        (data) => {
          recordHandler(performance.now() - t0)
          sendJson(res, data)
        },
        (err) => sendJson(res, { error: String(err) }, 502),
      )
      return
    }
    if (path === '/handler-stats') return sendJson(res, handlerStats())
    if (path === '/rpc2' && req.method === 'POST') {
      new XmlrpcDeserializer().deserializeMethodCall(req, (err, method, params) => {
        const xml =
          err || method !== 'add'
            ? xmlrpcSerializer.serializeFault({ faultCode: 404, faultString: `no method ${method}` })
            : xmlrpcSerializer.serializeMethodResponse(params[0] + params[1])
        res.writeHead(200, { 'content-type': XML_TYPE, 'content-length': String(Buffer.byteLength(xml)) })
        res.end(xml)
      })
      return
    }
    notFound(res)
  }
}
