// The notes example: a Saddle app with a package (JSON API under /api/v1), templates, uploads and hooks.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Saddle, type UploadedFile } from '@skitai/saddle'
import { notes } from './store.ts'

export const app = new Saddle(import.meta.url, { name: 'notes' })
// Attachments are kept here (a real deployment would configure a persistent directory).
const filesDir = process.env.NOTES_FILES ?? mkdtempSync(join(tmpdir(), 'notes-files-'))
app.config.maxUploadFileSize = 5 * 1024 * 1024

app.beforeRequest((was) => {
  was.g.started = performance.now()
})
app.afterRequest((was) => {
  was.response.setHeader('Server-Timing', `app;dur=${(performance.now() - was.g.started).toFixed(1)}`)
})

app.route('/', { methods: ['GET'], doc: 'The notes page (HTML).' }, async (was) =>
  was.render('index.html', { notes: notes.list() }),
)

app.route(
  '/notes',
  { methods: ['POST'], doc: 'Adds a note, with an optional attachment.', paramTypes: { attachment: 'file' } },
  async (was, title: string, attachment: UploadedFile | undefined = undefined) => {
    if (typeof title !== 'string' || title.trim() === '') was.response.throw(400, 'a note needs a title')
    let saved = null
    if (attachment !== undefined) {
      const path = await attachment.save(filesDir, { dup: 'u' })
      saved = { name: attachment.name, path, size: attachment.size, mimetype: attachment.mimetype }
    }
    const note = notes.add(title.trim(), saved)
    return was.renderOrAPI('created.html', { note }, 201)
  },
)

app.addPackage(await import('./api/v1.ts'), { prefix: '/api/v1', ns: 'api' })

// README "OpenAPI": the document of these routes, and a page to browse it at /docs
app.route('/openapi.json', { methods: ['GET'], openapi: false }, () =>
  app.openapi({ title: 'Notes', version: '1.0.0', description: 'The notes example of Skitai' }),
)
app.openapiPage('/docs', { spec: '/openapi.json' })
