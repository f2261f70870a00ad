import type { IncomingMessage } from 'node:http'
import { connect as tcpConnect } from 'node:net'
import type { Duplex } from 'node:stream'
import { connect as tlsConnect } from 'node:tls'
import { type Cluster, CONNECT_ERRORS, getAlias, type Member, pickMember } from '@skitai/was'
import type { RequestContext } from './contract.js'
import {
  aliasTarget,
  connectionTokens,
  forwardedFor,
  forwardedProto,
  HOP,
  memberPath,
  REQUEST_DROP,
  txnHeaders,
} from './proxy-headers.js'

/**
 * WebSocket (any `Upgrade`) through an `'@alias'` mount: the engine calls this from its 'upgrade' event
 * for a proxy mount. The handshake is forwarded to a member over a new TCP (or TLS) connection and the
 * two sockets are then piped both ways. A member refusing the connection is marked down and the next
 * one is tried; when none accepts, the client gets `502`.
 */
export function createAliasUpgrade(
  target: string,
): (req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RequestContext) => boolean {
  const { name, base } = aliasTarget(target)
  return function aliasUpgrade(req, socket, head, ctx) {
    const cluster = getAlias(name)
    if (cluster === undefined) {
      refuseUpgrade(socket, `unknown alias '@${name}'`)
      return true
    }
    const txn = txnHeaders(ctx)
    let lines = `${req.method ?? 'GET'} ${memberPath(base, ctx)} HTTP/1.1\r\n`
    const extra = connectionTokens(req.headers.connection)
    const raw = req.rawHeaders
    for (let i = 0; i < raw.length; i += 2) {
      const k = (raw[i] as string).toLowerCase()
      if (k === 'host' || k === 'connection' || k === 'upgrade' || HOP.has(k) || REQUEST_DROP.has(k) || extra?.has(k))
        continue
      if (k === 'x-forwarded-for' || k === 'x-forwarded-proto' || k === 'x-forwarded-host') continue
      lines += `${raw[i]}: ${raw[i + 1]}\r\n`
    }
    lines += `Connection: Upgrade\r\nUpgrade: ${req.headers.upgrade ?? 'websocket'}\r\n`
    lines += `X-Forwarded-For: ${forwardedFor(req)}\r\nX-Forwarded-Proto: ${forwardedProto(req)}\r\n`
    if (req.headers.host !== undefined) lines += `X-Forwarded-Host: ${req.headers.host}\r\n`
    lines += `X-Gtxn-Id: ${txn['x-gtxn-id']}\r\nX-Ltxn-Id: ${txn['x-ltxn-id']}\r\n`
    tunnel(cluster, lines, head, socket, null)
    return true
  }
}

function tunnel(cluster: Cluster, lines: string, head: Buffer, client: Duplex, tried: Member[] | null): void {
  const m = pickMember(cluster, tried)
  if (m === null) {
    refuseUpgrade(client, `every member of @${cluster.name} failed`)
    return
  }
  const hostLine = `Host: ${m.host.includes(':') ? `[${m.host}]` : m.host}:${m.port}\r\n`
  const auth =
    m.authorization !== null && !/\r\nauthorization:/i.test(lines) ? `Authorization: ${m.authorization}\r\n` : ''
  const up = cluster.ssl
    ? tlsConnect({ host: m.host, port: m.port, servername: m.host })
    : tcpConnect({ host: m.host, port: m.port })
  m.inflight++
  // 0 connecting, 1 piping, 2 over (the member's load is counted out exactly once).
  let state = 0
  const over = () => {
    if (state === 2) return
    state = 2
    m.inflight--
    up.destroy()
    client.destroy()
  }
  const onConnectError = (err: Error & { code?: string }) => {
    if (state !== 0) return
    state = 2
    m.inflight--
    up.destroy()
    if (CONNECT_ERRORS.has(err.code ?? '')) {
      m.markDown(`${err.code}: ${err.message}`)
      tunnel(cluster, lines, head, client, [...(tried ?? []), m])
    } else refuseUpgrade(client, `@${cluster.name}: ${err.code ?? err.message}`)
  }
  up.once('error', onConnectError)
  up.once(cluster.ssl ? 'secureConnect' : 'connect', () => {
    if (state !== 0) return
    state = 1
    up.removeListener('error', onConnectError)
    up.write(`${lines}${hostLine}${auth}\r\n`)
    if (head.length > 0) up.write(head)
    up.pipe(client)
    client.pipe(up)
    up.on('error', over)
    up.on('close', over)
  })
  // The client leaving (also while the member is still connecting) ends both sides.
  client.on('error', over)
  client.once('close', over)
}

function refuseUpgrade(socket: Duplex, detail: string): void {
  const body = `502 Bad Gateway: ${detail}\n`
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  } else socket.destroy()
}
