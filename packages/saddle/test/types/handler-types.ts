// Type-level test (checked by `tsc -p packages/saddle/test/tsconfig.json`, see types.test.ts): `was` is
// inferred as SaddleWas in handlers, hooks and decorators without an annotation, and its members are typed.
// Every `@ts-expect-error` line must really be an error, or tsc fails.
import { Package, Saddle, type SaddleWas } from '@skitai/saddle'
import type { Task } from '@skitai/was'

type IsAny<T> = 0 extends 1 & T ? true : false
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
/** Compiles only when `T` is exactly SaddleWas (not any, not a supertype). */
function isSaddleWas<T>(_was: T, ok: Equal<T, SaddleWas>): void {
  void ok
}
function notAny<T>(_value: T, ok: IsAny<T> extends true ? false : true): void {
  void ok
}

const app = new Saddle(import.meta.url)

app.route('/x/<int:num>', (was, num) => {
  isSaddleWas(was, true)
  notAny(was.request.args, true)
  const args: Record<string, unknown> = was.request.args
  const task: Task = was.get.map('@search/q')
  notAny(task, true)
  notAny(was.session.get, true)
  was.session.get('user')
  was.response.status(201, 'Created')
  // was.app / was.route / was.websocket are typed by saddle's contract (SaddleApp, RouteInfo, SaddleWebSocket)
  const appName: string = was.app.name
  const url: string = was.app.buildUrl('x', 1)
  const other: string | undefined = was.apps.other?.basePath
  const routeName: string | undefined = was.route?.fullName
  const sent: boolean = was.websocket.send('hi')
  void [appName, url, other, routeName, sent]
  // @ts-expect-error: the app's name is read-only through was.app
  was.app.name = 'renamed'
  // @ts-expect-error: SaddleRequest has no `nope`
  was.request.nope
  // @ts-expect-error: a status is a number
  was.response.status('x')
  // @ts-expect-error: a session key is a string
  was.session.get(1)
  // @ts-expect-error: was.get takes a URL string
  was.get.map(42)
  return { num, args }
})

app.route('/y', { methods: ['POST'] }, (was) => {
  isSaddleWas(was, true)
  return was.API({ ok: true })
})

const pkg = new Package()
pkg.route('/p', (was) => {
  isSaddleWas(was, true)
  return was.request.method
})

app.beforeRequest((was) => {
  isSaddleWas(was, true)
})
app.afterRequest((was, response) => {
  isSaddleWas(was, true)
  notAny(response, true)
})
app.failedRequest((was, error) => {
  isSaddleWas(was, true)
  notAny(error, true)
})
pkg.beforeRequest((was) => isSaddleWas(was, true))

class Views {
  @app.route('/d')
  d(was: SaddleWas) {
    return was.request.path
  }
}
void Views

// @ts-expect-error: a handler's first parameter is the was, not a number
app.route('/bad', (was: number) => was)
