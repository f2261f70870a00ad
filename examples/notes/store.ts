// An in-memory note store for the example (a real app would use a database through was.db).
export interface Note {
  id: number
  title: string
  attachment: { name: string; path: string; size: number; mimetype: string } | null
}

class NoteStore {
  private readonly items = new Map<number, Note>()
  private next = 1

  add(title: string, attachment: Note['attachment']): Note {
    const note = { id: this.next++, title, attachment }
    this.items.set(note.id, note)
    return note
  }

  get(id: number): Note | undefined {
    return this.items.get(id)
  }

  list(): Note[] {
    return [...this.items.values()]
  }
}

export const notes = new NoteStore()
