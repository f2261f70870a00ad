// The scenarios of SPEC §4 / issue 7. `servers` limits a scenario to some servers (default: all but
// those marked `only` for other scenarios); `kind` says what is measured.
import xmlrpcSerializer from 'xmlrpc/lib/serializer.js'

const MAIN = ['node-http', 'fastify', 'express', 'hono', 'koa', 'skitai-engine', 'saddle']

export const SCENARIOS = [
  { id: 'hello', n: 1, title: 'GET / → Hello World', kind: 'throughput', request: { path: '/' } },
  { id: 'json', n: 2, title: 'GET /json → {"hello":"world"}', kind: 'throughput', request: { path: '/json' } },
  {
    id: 'params',
    n: 3,
    title: 'GET /hello/<int:num>?a=1&b=2 → JSON of (num, a, b)',
    kind: 'throughput',
    request: { path: '/hello/123?a=1&b=2' },
  },
  {
    id: 'post',
    n: 4,
    title: 'POST /add with a JSON body {num1, num2}',
    kind: 'throughput',
    request: {
      method: 'POST',
      path: '/add',
      body: JSON.stringify({ num1: 3, num2: 4 }),
      headers: { 'content-type': 'application/json' },
    },
  },
  {
    id: 'static',
    n: 5,
    title: 'GET a 4 KB static file with ETag',
    kind: 'throughput',
    request: { path: '/static/file4k.txt' },
    requireHeader: 'etag',
  },
  {
    id: 'was-get',
    n: 6,
    title: '`was.get` to a local backend vs undici `request` directly',
    kind: 'throughput',
    request: { path: '/backend' },
    servers: ['node-http', 'saddle-undici', 'saddle', 'skitai-engine'],
    // was.get's overhead is judged against the same Saddle app calling undici itself.
    compareTo: 'saddle-undici',
  },
  {
    id: 'map',
    n: 7,
    title: '`was.get.map` over 3 backends answering after 50 ms (latency of the whole handler)',
    kind: 'latency',
    request: { path: '/map' },
    servers: ['node-http', 'saddle'],
    // the servers time the handler themselves; read and reset around each round
    handlerStats: '/handler-stats',
    connections: 10,
    pipelining: [1],
  },
  {
    id: 'xmlrpc',
    n: 8,
    title: 'XML-RPC add(4, 10) calls/s (node:http: the xmlrpc package by hand)',
    kind: 'throughput',
    request: {
      method: 'POST',
      path: '/rpc2',
      body: xmlrpcSerializer.serializeMethodCall('add', [4, 10]),
      headers: { 'content-type': 'text/xml' },
    },
    servers: ['node-http', 'saddle'],
  },
  {
    id: 'idle',
    n: 9,
    title: 'idle keep-alive connections: RSS before and after',
    kind: 'idle',
    servers: MAIN,
  },
]

/** Servers that join the scenarios without a `servers` list only when named in --servers. */
export const OPT_IN = ['saddle-metrics']

export function serversOf(scenario) {
  return scenario.servers ?? [...MAIN, ...OPT_IN]
}
