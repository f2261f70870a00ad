/**
 * Raw WebSocket frames over a plain TCP socket, for the tests that a well-behaved client (ws) cannot
 * send: unmasked frames, invalid UTF-8, a huge length in the header, bad handshake keys.
 */
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'

export interface RawConnection {
  socket: Socket
  /** Everything received after the handshake's head. */
  received(): Buffer
  /** Resolves when the server closed the TCP connection. */
  ended: Promise<void>
}

/** Sends the handshake; resolves with the head of the answer and the open socket. */
export async function rawHandshake(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ head: string; status: number; conn: RawConnection }> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((r, j) => {
    socket.once('connect', r)
    socket.once('error', j)
  })
  const h: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...headers,
  }
  let req = `GET ${path} HTTP/1.1\r\n`
  for (const [k, v] of Object.entries(h)) if (v !== '') req += `${k}: ${v}\r\n`
  socket.write(`${req}\r\n`)
  let buf = Buffer.alloc(0)
  let after = Buffer.alloc(0)
  const ended = new Promise<void>((r) => socket.once('close', () => r()))
  socket.on('error', () => {})
  const head = await new Promise<string>((resolve, reject) => {
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c])
      const i = buf.indexOf('\r\n\r\n')
      if (i >= 0) {
        socket.off('data', onData)
        after = buf.subarray(i + 4)
        socket.on('data', (d: Buffer) => {
          after = Buffer.concat([after, d])
        })
        resolve(buf.subarray(0, i).toString('latin1'))
      }
    }
    socket.on('data', onData)
    ended.then(() => reject(new Error(`closed before an answer: ${buf.toString('latin1')}`)))
  })
  return { head, status: Number(head.split(' ')[1]), conn: { socket, received: () => after, ended } }
}

/** One frame: `opcode` (1 text, 2 binary, 9 ping), masked unless `mask` is false. */
export function frame(opcode: number, payload: Buffer, { mask = true, fin = true } = {}): Buffer {
  const len = payload.length
  const head: number[] = [(fin ? 0x80 : 0) | opcode]
  const m = mask ? 0x80 : 0
  if (len < 126) head.push(m | len)
  else if (len < 65536) head.push(m | 126, len >> 8, len & 255)
  else {
    head.push(m | 127, 0, 0, 0, 0)
    head.push((len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255)
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload])
  const key = randomBytes(4)
  const body = Buffer.from(payload)
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!
  return Buffer.concat([Buffer.from(head), key, body])
}

/** A masked frame header announcing `len` bytes, without the payload. */
export function headerOnly(opcode: number, len: number): Buffer {
  const b = Buffer.alloc(14)
  b[0] = 0x80 | opcode
  b[1] = 0x80 | 127
  b.writeBigUInt64BE(BigInt(len), 2)
  randomBytes(4).copy(b, 10)
  return b
}

/** The close code of the first close frame in `data` (server frames are unmasked), or null. */
export function closeCodeIn(data: Buffer): number | null {
  let i = 0
  while (i + 2 <= data.length) {
    const op = data[i]! & 15
    let len = data[i + 1]! & 127
    let p = i + 2
    if (len === 126) {
      len = data.readUInt16BE(p)
      p += 2
    } else if (len === 127) {
      len = Number(data.readBigUInt64BE(p))
      p += 8
    }
    if (op === 8) return len >= 2 ? data.readUInt16BE(p) : 1005
    i = p + len
  }
  return null
}
