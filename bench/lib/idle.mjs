// Scenario 9: many idle keep-alive connections. Each socket sends one `GET /`, reads the whole
// response and then stays open, idle, as a browser's keep-alive connection does. Opened in batches
// so that the server's accept queue is not overrun.
import { connect } from 'node:net'

const REQUEST = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n'
const BATCH = 500

function openOne(port) {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    let seen = ''
    const fail = () => {
      socket.destroy()
      resolve(null)
    }
    socket.setTimeout(20_000, fail)
    socket.once('error', fail)
    socket.once('connect', () => socket.write(REQUEST))
    const onData = (d) => {
      seen += d
      // The body of GET / is "Hello World": once it arrived, the response is complete.
      if (seen.endsWith('Hello World')) {
        socket.off('data', onData)
        socket.setTimeout(0)
        socket.removeListener('error', fail)
        socket.on('error', () => {})
        resolve(socket)
      }
    }
    socket.on('data', onData)
  })
}

/** Open `count` idle keep-alive connections; resolves to the sockets that got their answer. */
export async function openIdle(port, count) {
  const sockets = []
  for (let done = 0; done < count; done += BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(BATCH, count - done) }, () => openOne(port)))
    for (const s of batch) if (s) sockets.push(s)
  }
  return sockets
}

export function stillOpen(sockets) {
  return sockets.filter((s) => !s.destroyed && s.readyState === 'open').length
}

export function closeAll(sockets) {
  for (const s of sockets) s.destroy()
}
