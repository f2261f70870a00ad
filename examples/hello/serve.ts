// The hello example: `npm start` (or `npx skitai examples/hello/serve.ts --port 5000`).
import type { IncomingMessage, ServerResponse } from 'node:http'
import skitai from '@skitai/engine'

function hello(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 11 })
  res.end('Hello World')
}

skitai.mount('/', hello)
skitai.mount('/static', './static')
skitai.run({ address: '127.0.0.1', port: 5000 })
