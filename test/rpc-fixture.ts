/**
 * Apps and helpers shared by the RPC end-to-end tests (test/rpc-*.test.ts): ordinary Saddle routes —
 * nothing in them knows about RPC — served by a real Engine on 127.0.0.1.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Engine } from '@skitai/engine'
import { HttpError, Saddle } from '@skitai/saddle'

const run = promisify(execFile)

/** The main app: mounted at '/'. */
export function mainApp(): Saddle {
  const app = new Saddle(import.meta.url, { name: 'main' })
  app.route('/add', (_was, num1, num2) => {
    'Adds two numbers: add(num1, num2).'
    return Number(num1) + Number(num2)
  })
  app.route('/math/add', { doc: 'math.add(a, b): a + b, typed by the caller.' }, (_was, a, b) => a + b)
  app.route('/rpc2/add', (_was, a, b) => `rpc2/add of the root app: ${a + b}`)
  app.route('/boom', (_was) => {
    throw new Error('kaboom')
  })
  app.route('/teapot', (_was) => {
    throw new HttpError(418, 'I am a teapot')
  })
  app.route('/private', { authenticate: 'basic' }, (was) => `hello ${was.request.user}`)
  app.route('/only-get', { methods: ['GET'] }, (_was) => 'got')
  app.route('/echo', (_was, value) => value)
  app.route('/nothing', (_was) => undefined)
  app.route('/describe', (_was, value) => describe(value))
  app.route('/greet', (_was, name, greeting = 'Hello') => `${greeting}, ${name}!`)
  app.route('/everything', (_was) => ({
    n: 14,
    f: 1.5,
    t: true,
    s: 'x < y & z',
    d: new Date('2024-01-02T03:04:05Z'),
    b: Buffer.from([0, 1, 2, 255]),
    nil: null,
    list: [1, 'two', [3]],
  }))
  app.route('/hello/<name>', (_was, name) => `hello ${name}`)
  app.route('/items/', (_was) => ['a', 'b'])
  app.users = { admin: 'secret' }
  app.realm = 'rpc tests'
  app.beforeRequest((was) => {
    if (was.request.getHeader('x-banned') !== undefined) {
      was.response.status(403)
      return 'you are banned'
    }
    return undefined
  })
  return app
}

/** What the handler received: its JavaScript type, for round-trip checks. */
function describe(v: unknown): Record<string, unknown> {
  if (v === null) return { type: 'null' }
  if (v instanceof Date) return { type: 'Date', iso: v.toISOString() }
  if (Buffer.isBuffer(v)) return { type: 'Buffer', hex: v.toString('hex') }
  if (Array.isArray(v)) return { type: 'array', items: v.map(describe) }
  if (typeof v === 'object') {
    const members: Record<string, unknown> = {}
    for (const k of Object.keys(v)) members[k] = describe((v as Record<string, unknown>)[k])
    return { type: 'struct', nullPrototype: Object.getPrototypeOf(v) === null, members }
  }
  return { type: typeof v, value: typeof v === 'bigint' ? v.toString() : v }
}

/** A second app, mounted at '/rpc2'. */
export function mountedApp(): Saddle {
  const app = new Saddle(import.meta.url, { name: 'rpc2' })
  app.route('/add', (_was, a, b) => `mounted app at /rpc2: ${a + b}`)
  return app
}

export async function serve(mounts: [string, Saddle][]): Promise<{ engine: Engine; port: number; url: string }> {
  const engine = new Engine()
  engine.enableAccessLog(false)
  for (const [point, app] of mounts) engine.mount(point, app)
  const port = await engine.listen({ port: 0 })
  return { engine, port, url: `http://127.0.0.1:${port}` }
}

/** Runs Python 3 code (with `URL` defined) and returns its stdout lines, JSON-decoded when they parse. */
export async function python(url: string, code: string): Promise<any[]> {
  const prelude = `import json, sys, datetime, xmlrpc.client as x\nURL = ${JSON.stringify(url)}\n`
  const { stdout } = await run('python3', ['-c', prelude + code], { timeout: 30_000 })
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      try {
        return JSON.parse(line)
      } catch {
        return line
      }
    })
}

/** An XML-RPC <methodCall> body. */
export function xmlCall(method: string, paramsXml: string): string {
  return `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${paramsXml}</params></methodCall>`
}
