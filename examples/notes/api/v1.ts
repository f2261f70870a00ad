// The JSON API of the notes example, a package mounted under /api/v1 with the namespace 'api'.
import { HttpError, Package } from '@skitai/saddle'
import { type Note, notes } from '../store.ts'

/** What the API shows of a note: never the server-side path of its attachment. */
function view(note: Note) {
  const a = note.attachment
  return { id: note.id, title: note.title, attachment: a && { name: a.name, size: a.size, mimetype: a.mimetype } }
}

const pkg = new Package()

pkg.beforeRequest((was) => {
  // Every API answer says which version served it.
  was.response.setHeader('X-Api-Version', '1')
})

pkg.route('/notes', { methods: ['GET'], doc: 'All notes.' }, (_was) => notes.list().map(view))

pkg.route(
  '/search',
  { methods: ['GET'], doc: 'Notes whose title has q (any case), at most limit of them.', paramTypes: { q: 'string' } },
  (was, q: string, limit = 20) => {
    const n = Number(limit)
    if (!Number.isInteger(n) || n < 1) was.response.throw(400, 'limit must be a positive integer')
    const needle = String(q).toLowerCase()
    return notes
      .list()
      .filter((note) => note.title.toLowerCase().includes(needle))
      .slice(0, n)
      .map(view)
  },
)

pkg.route('/notes/<int:id>', { name: 'note', methods: ['GET'], doc: 'One note, with its URL.' }, (was, id) => {
  const note = notes.get(id)
  if (note === undefined) throw new HttpError(404, 'Not Found', { detail: `no note ${id}` })
  return { ...view(note), url: was.ab('note', id), page: was.ab('index') }
})

pkg.route('/notes/<int:id>/attachment', { name: 'attachment', methods: ['GET'] }, (was, id) => {
  const note = notes.get(id)
  if (note?.attachment == null) throw new HttpError(404, 'Not Found', { detail: `note ${id} has no attachment` })
  return was.response.file(note.attachment.path, note.attachment.mimetype, note.attachment.name)
})

export { pkg as package }
