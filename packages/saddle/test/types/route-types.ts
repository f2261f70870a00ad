// Type-level test (checked by `tsc -p packages/saddle/test/tsconfig.json`, see types.test.ts): handler
// parameters are typed from the route rule (README "Typed handlers"), `was.session.get<T>` and
// `was.get<T>` carry the type given. Every `@ts-expect-error` line must really be an error, or tsc fails.
import { Package, Saddle, type SaddleWas } from '@skitai/saddle'
import type { Result, Task } from '@skitai/was'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
/** Compiles only when the value's type is exactly `Want` (not any, not a subtype or supertype). */
function exactly<Want>() {
  return <T>(_value: T, ok: Equal<T, Want>): void => void ok
}

const app = new Saddle(import.meta.url)

app.route('/hello/<int:num>', (was, num) => {
  exactly<SaddleWas>()(was, true)
  exactly<number>()(num, true)
  return num + 1
})
app.route('/price/<float:p>', (_was, p) => exactly<number>()(p, true))
app.route('/hello/<name>', (_was, name) => exactly<string>()(name, true))
app.route('/download/<int:major>/<path:rest>', (_was, major, rest) => {
  exactly<number>()(major, true)
  exactly<string>()(rest, true)
})
app.route('/hello/<int:num>/<name>', { methods: ['GET'] }, (_was, num, name) => {
  exactly<number>()(num, true)
  exactly<string>()(name, true)
})

// A default on a URL variable (an optional last variable) keeps the variable's type.
app.route('/page/<int:n>', (_was, n = 1) => exactly<number>()(n, true))

// Names the rule does not have are query/body arguments: unknown, or their annotation.
app.route('/search/<int:page>', (_was, page, keyword, limit: number, tags: string[] = []) => {
  exactly<number>()(page, true)
  exactly<unknown>()(keyword, true)
  exactly<number>()(limit, true)
  exactly<string[]>()(tags, true)
})
app.route('/add', (_was, a, b) => {
  exactly<unknown>()(a, true)
  return Number(a) + Number(b)
})
// A handler may take fewer parameters than the rule has variables only at registration time (saddle
// then refuses it); types do not forbid it, the registration error names the missing variable.

// An annotation may widen a URL variable's type (`string | null` for an optional one) ...
app.route('/owners/<oid>', (_was, oid: string | null = null) => exactly<string | null>()(oid, true))
// ... but not contradict it.
// @ts-expect-error: <int:num> is a number, not a string
app.route('/bad/<int:num>', (_was, num: string) => num)
app.route('/bad2/<name>', (_was, name) => {
  // @ts-expect-error: name is a string, it has no toFixed
  name.toFixed(1)
})
app.route('/bad3/<int:num>', (_was, num) => {
  // @ts-expect-error: num is a number, it has no toUpperCase
  num.toUpperCase()
})

// A rule that is not a literal types nothing beyond `unknown`.
const rule: string = '/dyn/<int:x>'
app.route(rule, (_was, x) => exactly<unknown>()(x, true))

// Packages and decorators take the same types.
const pkg = new Package()
pkg.route('/p/<int:id>', (_was, id) => exactly<number>()(id, true))
class Views {
  @app.route('/d/<int:id>')
  d(was: SaddleWas, id: number) {
    return `${was.request.path} ${id}`
  }
}
void Views

// was.session.get<T>: T | undefined, or T with a default.
app.route('/session', (was) => {
  exactly<string | undefined>()(was.session.get<string>('k'), true)
  exactly<unknown>()(was.session.get('k'), true)
  exactly<number>()(was.session.get('visits', 0), true)
  // @ts-expect-error: without a default the value may be undefined
  const s: string = was.session.get<string>('k')
  return s
})

// was.get<T>(url): Task<T>, whose Result<T> has data T | null; fetch() gives T.
app.route('/backend', async (was) => {
  const task = was.get<{ a: number }>('@api/x')
  exactly<Task<{ a: number }>>()(task, true)
  const r = await task.getwait(2)
  exactly<Result<{ a: number }>>()(r, true)
  exactly<{ a: number } | null>()(r.data, true)
  exactly<{ a: number }>()(await task.fetch(), true)
  exactly<{ id: number }>()(await was.post<{ id: number }[]>('@api/rows', { q: 1 }).one(), true)
  exactly<unknown>()((await was.get('@api/y').getwait()).data, true)
  // @ts-expect-error: data may be null
  return r.data.a
})
