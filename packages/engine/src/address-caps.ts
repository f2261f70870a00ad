import type { Socket } from 'node:net'

/**
 * Per-client-address caps (README "Limits"): one address must not be able to fill the server-wide
 * `maxInFlight` (or the file descriptors) with stalled requests and starve everybody else. One record per
 * address with open connections, found once per connection (a Map lookup at accept time) and kept on the
 * socket, so a request only increments a field of an object it already has.
 */
export class AddressRecord {
  connections = 0
  inFlight = 0
  constructor(readonly address: string) {}
}

const kRecord = Symbol('skitai.addressRecord')
/** Set on a connection opened beyond `maxConnectionsPerAddress`: its first request gets 429 and close. */
const kOverCap = Symbol('skitai.addressOverCap')

type Tracked = Socket & { [kRecord]?: AddressRecord; [kOverCap]?: boolean }

/** The open-connection and in-flight counts of every client address with a connection open. */
export class AddressTable {
  private readonly byAddress = new Map<string, AddressRecord>()

  /** A connection opened: count it; returns false when it is over `cap` (0: no cap). */
  open(socket: Socket, cap: number): boolean {
    const address = socket.remoteAddress
    if (address === undefined) return true
    let r = this.byAddress.get(address)
    if (r === undefined) {
      r = new AddressRecord(address)
      this.byAddress.set(address, r)
    }
    r.connections++
    const s = socket as Tracked
    s[kRecord] = r
    const within = cap <= 0 || r.connections <= cap
    if (!within) s[kOverCap] = true
    return within
  }

  /**
   * A TLS connection: node counts the TCP socket ('connection') but hands the requests the TLSSocket
   * wrapped around it ('secureConnection'), so the record is carried over; without it the per-address
   * caps would not apply over TLS.
   */
  adopt(tlsSocket: Socket & { _parent?: Socket | null }): void {
    const raw = tlsSocket._parent as Tracked | null | undefined
    if (raw == null) return
    const t = tlsSocket as Tracked
    t[kRecord] = raw[kRecord]
    if (raw[kOverCap] === true) t[kOverCap] = true
  }

  /** The connection closed. */
  close(socket: Socket): void {
    const r = (socket as Tracked)[kRecord]
    if (r === undefined) return
    r.connections--
    this.forgetIfDone(r)
  }

  /** A request of this record's address ended (its response closed). */
  requestDone(r: AddressRecord): void {
    r.inFlight--
    this.forgetIfDone(r)
  }

  /** How many addresses have connections open (for the status page and tests). */
  get size(): number {
    return this.byAddress.size
  }

  private forgetIfDone(r: AddressRecord): void {
    if (r.connections <= 0 && r.inFlight <= 0 && this.byAddress.get(r.address) === r) this.byAddress.delete(r.address)
  }
}

/** The address record of a connection (undefined for a socket the engine did not accept). */
export function recordOf(socket: Socket | null | undefined): AddressRecord | undefined {
  return socket == null ? undefined : (socket as Tracked)[kRecord]
}

/** Whether this connection was opened beyond its address's connection cap. */
export function isOverConnectionCap(socket: Socket | null | undefined): boolean {
  return socket != null && (socket as Tracked)[kOverCap] === true
}
