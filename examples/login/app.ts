// A small login app: a form with a CSRF token, a sealed session, flash messages, logout.
// Run it: `npx skitai examples/login/serve.ts` (or `npx tsx examples/login/serve.ts`), then open
// http://127.0.0.1:5000/ and log in as hans / "secret horse".
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { Saddle, type SaddleWas } from '@skitai/saddle'

export const app = new Saddle(import.meta.url, { name: 'login' })

// A random key per start logs everybody out on restart; a deployed app reads it from its config.
app.securekey = process.env.LOGIN_SECUREKEY ?? randomBytes(32).toString('base64')
app.sessionTimeout = 1200

const USERS: Record<string, string> = { hans: 'secret horse' }

app.route('/', async (was) => {
  const user = was.session.get('user')
  if (user === undefined) return was.response.redirect(was.ab('loginForm'))
  return was.render('home.html', { user, visits: countVisit(was), messages: was.mbox.get() })
})

app.route('/profile', (was) => {
  const user = was.session.get('user')
  if (user === undefined) return was.response.redirect(was.ab('loginForm'))
  return was.render('profile.html', { user, visits: countVisit(was), messages: was.mbox.get() })
})

app.route('/login', { methods: ['GET'], name: 'loginForm' }, (was) =>
  was.render('login.html', { messages: was.mbox.get() }),
)

app.route('/login', { methods: ['POST'], csrfVerify: true }, (was, username: string, password: string) => {
  if (!passwordMatches(username, password)) {
    was.mbox.send('Wrong user name or password.', 'error')
    return was.response.redirect(was.ab('loginForm'))
  }
  was.session.set('user', username)
  was.mbox.send(`Welcome back, ${username}!`, 'info')
  return was.response.redirect('/')
})

app.route('/logout', { methods: ['POST'], csrfVerify: true }, (was) => {
  // expire(), not clear(): the session id is revoked, so a copy of the old cookie is not logged in either
  was.session.expire()
  was.mbox.send('You have been logged out.', 'info')
  return was.response.redirect(was.ab('loginForm'))
})

/** Compared in constant time (hashes of equal length), so timing tells nothing about the password. */
function passwordMatches(username: string, password: string): boolean {
  const known = Object.hasOwn(USERS, username) ? USERS[username]! : ''
  const h = (s: string) => createHash('sha256').update(s).digest()
  return timingSafeEqual(h(known), h(String(password))) && known !== ''
}

function countVisit(was: SaddleWas): number {
  const n = was.session.get('visits', 0) + 1
  was.session.set('visits', n)
  return n
}
