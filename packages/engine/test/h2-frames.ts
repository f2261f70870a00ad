// A few raw HTTP/2 frames for the hostile-client tests (a real client cannot be made to misbehave):
// the connection preface, SETTINGS, PING, HEADERS with literal (non-indexed, non-Huffman) HPACK fields,
// RST_STREAM. Enough to open, reset and flood streams byte by byte.
import { connect, type Socket } from 'node:net'

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9)
  head.writeUIntBE(payload.length, 0, 3)
  head[3] = type
  head[4] = flags
  head.writeUInt32BE(stream & 0x7fffffff, 5)
  return Buffer.concat([head, payload])
}

export const settings = (): Buffer => frame(0x4, 0, 0)
export const ping = (n: number): Buffer => {
  const p = Buffer.alloc(8)
  p.writeUInt32BE(n, 4)
  return frame(0x6, 0, 0, p)
}
export const rstStream = (stream: number, code = 0x8 /* CANCEL */): Buffer => {
  const p = Buffer.alloc(4)
  p.writeUInt32BE(code)
  return frame(0x3, 0, stream, p)
}

/** HPACK integer with an N-bit prefix (RFC 7541 §5.1). */
function hpackInt(value: number, prefixBits: number, first: number): Buffer {
  const max = (1 << prefixBits) - 1
  if (value < max) return Buffer.from([first | value])
  const out = [first | max]
  let v = value - max
  while (v >= 128) {
    out.push((v % 128) + 128)
    v = Math.floor(v / 128)
  }
  out.push(v)
  return Buffer.from(out)
}

/** A header block of literal fields without indexing (RFC 7541 §6.2.2), names and values raw. */
export function headerBlock(fields: [string, string][]): Buffer {
  const parts: Buffer[] = []
  for (const [name, value] of fields) {
    parts.push(Buffer.from([0x00]), hpackInt(name.length, 7, 0), Buffer.from(name, 'latin1'))
    parts.push(hpackInt(Buffer.byteLength(value), 7, 0), Buffer.from(value))
  }
  return Buffer.concat(parts)
}

/** HEADERS (END_HEADERS, END_STREAM) of a GET. */
export function getRequest(stream: number, path: string, extra: [string, string][] = []): Buffer {
  const block = headerBlock([
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', 'localhost'],
    ...extra,
  ])
  return frame(0x1, 0x4 | 0x1, stream, block)
}

export interface RawH2 {
  socket: Socket
  /** Frame types received so far, with stream id and, for RST_STREAM/GOAWAY, the error code. */
  frames: { type: number; stream: number; code?: number; status?: number }[]
  closed: Promise<void>
}

/** Connect, send the preface and an empty SETTINGS, and parse the frame headers that come back. */
export function rawH2(port: number): Promise<RawH2> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const frames: RawH2['frames'] = []
    let buf = Buffer.alloc(0)
    let onClose: () => void
    const closed = new Promise<void>((r) => {
      onClose = r
    })
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d])
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3)
        if (buf.length < 9 + len) break
        const type = buf[3] as number
        const stream = buf.readUInt32BE(5) & 0x7fffffff
        const f: RawH2['frames'][number] = { type, stream }
        if (type === 0x3) f.code = buf.readUInt32BE(9)
        if (type === 0x7) f.code = buf.readUInt32BE(13)
        // the response's :status: indexed (0x88 = 200 …) or a literal value
        if (type === 0x1) f.status = statusOf(buf.subarray(9, 9 + len))
        frames.push(f)
        buf = buf.subarray(9 + len)
      }
    })
    socket.on('error', () => {})
    socket.on('close', () => onClose())
    socket.once('connect', () => {
      socket.write(Buffer.concat([PREFACE, settings()]))
      resolve({ socket, frames, closed })
    })
    socket.once('error', reject)
  })
}

/** The :status of a response HEADERS block: a static-table index (RFC 7541 Appendix A) or a literal. */
function statusOf(block: Buffer): number | undefined {
  const indexed: Record<number, number> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 }
  const b = block[0] as number
  if (b & 0x80) return indexed[b & 0x7f]
  // literal with indexed name :status (index 8..14); the value follows, raw or Huffman
  const lenByte = block[1] as number
  if ((lenByte & 0x80) === 0) return Number(block.subarray(2, 2 + lenByte).toString('latin1'))
  return huffmanDigits(block.subarray(2, 2 + (lenByte & 0x7f)))
}

/** Huffman-coded digits only (RFC 7541 Appendix B: '0'-'2' are 5 bits, '3'-'9' 6 bits). */
function huffmanDigits(bytes: Buffer): number | undefined {
  let bits = ''
  for (const x of bytes) bits += x.toString(2).padStart(8, '0')
  const five: Record<string, string> = { '00000': '0', '00001': '1', '00010': '2' }
  const six: Record<string, string> = {
    '011001': '3',
    '011010': '4',
    '011011': '5',
    '011100': '6',
    '011101': '7',
    '011110': '8',
    '011111': '9',
  }
  let out = ''
  let i = 0
  while (i + 5 <= bits.length && out.length < 3) {
    const a = five[bits.slice(i, i + 5)]
    if (a !== undefined) {
      out += a
      i += 5
      continue
    }
    const b = six[bits.slice(i, i + 6)]
    if (b === undefined) break
    out += b
    i += 6
  }
  return out.length === 3 ? Number(out) : undefined
}
