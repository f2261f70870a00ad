// One hello-world server for hello-vs-node.mjs: `node hello-server.mjs bare|engine PORT`.
// Uses the built package (dist), as a deployed server would.
import { createServer } from 'node:http'

function hello(_req, res) {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 11 })
  res.end('Hello World')
}

const [kind, port] = process.argv.slice(2)
if (kind === 'bare') {
  createServer(hello).listen(Number(port), '127.0.0.1', () => process.send?.('ready'))
} else {
  const { Engine } = await import('@skitai/engine')
  const engine = new Engine()
  engine.enableAccessLog(kind === 'engine-log')
  if (kind === 'engine-log') engine.enableFileLogging(process.env.LOG_DIR ?? '/tmp/skitai-bench-log')
  engine.mount('/', hello)
  await engine.listen({ port: Number(port), address: '127.0.0.1' })
  process.send?.('ready')
}
