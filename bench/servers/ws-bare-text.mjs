// A bare `ws` echo that handles text as text, as any handler that reads the message must: the Buffer
// decoded to a string and the string sent back (what a Saddle route does for a text message).
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'
import { HOST, PORT } from './common.mjs'

const server = createServer((_req, res) => res.end('ws bench'))
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false })
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('message', (data, isBinary) => ws.send(isBinary ? data : data.toString()))
  })
})
server.listen(PORT, HOST)
