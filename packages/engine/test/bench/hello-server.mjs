// One hello-world server for hello-vs-node.mjs: `node hello-server.mjs bare|engine|engine-log PORT`.
// Uses the built package (dist), as a deployed server would.
import { createServer } from 'node:http'

function hello(_req, res) {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 11 })
  res.end('Hello World')
}

const [kind, port] = process.argv.slice(2)
// CPU time used so far, on request: CPU per request is a figure that other load on the machine skews less
process.on('message', (m) => {
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() })
})
if (kind === 'bare') {
  createServer(hello).listen(Number(port), '127.0.0.1', () => process.send?.('ready'))
} else {
  const { Engine } = await import('@skitai/engine')
  const engine = new Engine()
  // engine: the access log off (as for a benchmark); engine-log: the request log written to a file
  engine.enableAccessLog(kind === 'engine-log')
  if (kind === 'engine-log') engine.enableFileLogging(process.env.LOG_DIR ?? '/tmp/skitai-bench-log')
  engine.mount('/', hello)
  await engine.listen({ port: Number(port), address: '127.0.0.1' })
  process.send?.('ready')
}
