/**
 * A chat room in the browser (README "WebSocket routes"): the page at `/` is plain HTML and a small
 * script; people join a room by name and talk over one groupchat WebSocket route, where the room is
 * the second parameter of the handler.
 */
import { fileURLToPath } from 'node:url'
import { Saddle } from '@skitai/saddle'

export const app = new Saddle(import.meta.url, { name: 'chat' })

const page = (file: string) => fileURLToPath(new URL(`./static/${file}`, import.meta.url))
app.route('/', { methods: ['GET'] }, (was) => was.response.file(page('index.html')))
app.route('/chat.js', { methods: ['GET'] }, (was) => was.response.file(page('chat.js')))

interface Said {
  text?: unknown
}

app.route(
  '/ws/chat',
  {
    websocket: {
      spec: 'groupchat',
      encoding: 'json',
      timeout: 600,
      maxMessageSize: 16 * 1024,
      // what is returned goes to everybody in the room
      onopen: (was) => ({ event: 'joined', name: nameOf(was), members: was.websocket.clients.length }),
      onclose: (was) => ({ event: 'left', name: nameOf(was) }),
    },
  },
  (was, message: Said, room: string, name = 'anonymous') => {
    const text = typeof message?.text === 'string' ? message.text.slice(0, 2000) : ''
    if (text === '') return
    return { event: 'said', room, name, text }
  },
)

function nameOf(was: { request: { query: Record<string, unknown> } }): string {
  const n = was.request.query.name
  return typeof n === 'string' && n !== '' ? n.slice(0, 40) : 'anonymous'
}
