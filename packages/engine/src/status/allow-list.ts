/**
 * Who may read the status and metrics pages: addresses and subnets (`'10.0.0.0/8'`, `'fd00::/8'`), `'*'`
 * for anyone. Checked against the connection's peer address, never a header a client could forge.
 */
import { BlockList, isIP } from 'node:net'

export class AllowList {
  private readonly list = new BlockList()
  private readonly anyone: boolean
  readonly entries: readonly string[]

  constructor(entries: readonly string[], where: string) {
    if (!Array.isArray(entries) || entries.length === 0)
      throw new TypeError(`${where}: allow must list at least one address ('127.0.0.1', '10.0.0.0/8' or '*')`)
    this.entries = [...entries]
    this.anyone = entries.includes('*')
    for (const e of entries) {
      if (e === '*') continue
      const text = e === 'localhost' ? '127.0.0.1' : e
      if (e === 'localhost') this.list.addAddress('::1', 'ipv6')
      const slash = text.indexOf('/')
      const address = slash < 0 ? text : text.slice(0, slash)
      const family = isIP(address)
      if (family === 0) throw new TypeError(`${where}: allow entry ${JSON.stringify(e)} is not an IP address or subnet`)
      const type = family === 4 ? 'ipv4' : 'ipv6'
      if (slash < 0) {
        this.list.addAddress(address, type)
        continue
      }
      const prefix = Number(text.slice(slash + 1))
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128))
        throw new TypeError(`${where}: allow entry ${JSON.stringify(e)} has a bad prefix length`)
      this.list.addSubnet(address, prefix, type)
    }
  }

  permits(address: string | undefined): boolean {
    if (this.anyone) return true
    if (address === undefined) return false
    // a dual-stack listener reports IPv4 peers as '::ffff:a.b.c.d'
    const a = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
    const family = isIP(a)
    if (family === 0) return false
    return this.list.check(a, family === 4 ? 'ipv4' : 'ipv6')
  }
}
