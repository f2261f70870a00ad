/**
 * Groupchat rooms behind one interface (README "WebSocket routes"). The default registry keeps the
 * rooms of this process; a registry that fans messages out across workers (through the master) or
 * hosts (Redis pub/sub) implements the same four methods — `publish` delivers to the local members
 * and forwards to the other processes, which deliver to theirs — and is installed with
 * `setRoomRegistry` before the server starts. Frames are encoded once before `publish`, so a message
 * to a room of 1,000 costs one serialization.
 */

/** A connection in a room, as the registry sees it. */
export interface RoomMember {
  readonly clientId: number
  /** Sends one encoded frame (string → text, Buffer → binary) to this member. */
  deliver(frame: string | Buffer): void
}

export interface RoomRegistry {
  join(room: string, member: RoomMember): void
  leave(room: string, member: RoomMember): void
  /** To every member of `room`, or only to the member with client id `to`. */
  publish(room: string, frame: string | Buffer, to?: number): void
  /** Client ids of the members (those known to this process). */
  clients(room: string): number[]
}

/** The rooms of this process: room key → members by client id. */
export class LocalRooms implements RoomRegistry {
  private readonly rooms = new Map<string, Map<number, RoomMember>>()

  join(room: string, member: RoomMember): void {
    let m = this.rooms.get(room)
    if (m === undefined) this.rooms.set(room, (m = new Map()))
    m.set(member.clientId, member)
  }

  leave(room: string, member: RoomMember): void {
    const m = this.rooms.get(room)
    if (m === undefined || m.get(member.clientId) !== member) return
    m.delete(member.clientId)
    if (m.size === 0) this.rooms.delete(room)
  }

  publish(room: string, frame: string | Buffer, to?: number): void {
    const m = this.rooms.get(room)
    if (m === undefined) return
    if (to !== undefined) {
      m.get(to)?.deliver(frame)
      return
    }
    for (const member of m.values()) member.deliver(frame)
  }

  clients(room: string): number[] {
    const m = this.rooms.get(room)
    return m === undefined ? [] : [...m.keys()]
  }

  /** Number of rooms with members (for tests and status). */
  get size(): number {
    return this.rooms.size
  }
}

let registry: RoomRegistry = new LocalRooms()

/** The registry groupchat routes use. */
export function roomRegistry(): RoomRegistry {
  return registry
}

/** Installs another registry (a cross-worker or Redis one); rooms already joined stay in the old one. */
export function setRoomRegistry(r: RoomRegistry): void {
  registry = r
}
