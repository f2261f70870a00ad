// The WebSocket baseline: a bare `ws` server, no framework. /echo echoes each message; /room?roomid=N
// sends each message to every client of the same room (what a groupchat route does, by hand).
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'
import { HOST, PORT } from './common.mjs'

const rooms = new Map()
const server = createServer((_req, res) => res.end('ws bench'))
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false })
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    const url = new URL(req.url, 'http://x')
    if (url.pathname === '/room') {
      const id = url.searchParams.get('roomid')
      let members = rooms.get(id)
      if (!members) rooms.set(id, (members = new Set()))
      members.add(ws)
      ws.on('close', () => members.delete(ws))
      ws.on('message', (data, isBinary) => {
        for (const m of members) m.send(data, { binary: isBinary })
      })
    } else {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
    }
  })
})
server.listen(PORT, HOST)
