// Real database servers for the tests: PostgreSQL (initdb + postgres on a free port in a temp dir) and
// redis-server (--port P --save ''), each started by the test and stopped by it. Nothing depends on a
// system service. PostgreSQL refuses to run as root, so under root the server runs as the `postgres`
// user that Debian's package creates.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chownSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Debian's server binaries (not on PATH): the newest /usr/lib/postgresql/NN/bin that has initdb. */
const PG_BIN = (() => {
  let versions: string[] = []
  try {
    versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))
  } catch {}
  return versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(join(d, 'initdb')))
})()
export const PG_PASSWORD = 'p@ss:w0rd'
export const havePostgres = PG_BIN !== undefined
export const haveRedis = (() => {
  try {
    execFileSync('redis-server', ['--version'])
    return true
  } catch {
    return false
  }
})()

export async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const port = (s.address() as { port: number }).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {}
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
  return { uid, gid }
}

function owned(dir: string): string {
  const who = runAs()
  if (who.uid !== undefined) chownSync(dir, who.uid, who.gid as number)
  return dir
}

let template: string | null = null

/** One initdb per test process; every server starts from a copy of it. */
function templateDir(): string {
  if (template !== null) return template
  const root = owned(mkdtempSync(join(tmpdir(), 'skitai-pgtpl-')))
  const pw = join(root, 'pw')
  writeFileSync(pw, PG_PASSWORD)
  owned(pw)
  const data = join(root, 'data')
  execFileSync(
    join(PG_BIN as string, 'initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'scram-sha-256', `--pwfile=${pw}`, '--no-sync', '-E', 'UTF8', '--locale=C'],
    { ...runAs(), stdio: 'ignore' },
  )
  process.on('exit', () => rmSync(root, { recursive: true, force: true }))
  template = data
  return data
}

/** A server process started and stopped again on demand (the same command each time). */
class ServerProcess {
  private _proc: ChildProcess | null = null
  constructor(
    private readonly _name: string,
    private readonly _spawn: () => ChildProcess,
    /** Which output stream says the server is up, and the words it says it with. */
    private readonly _stream: 'stdout' | 'stderr',
    private readonly _ready: string,
    private readonly _stopSignal: NodeJS.Signals,
  ) {}

  async start(): Promise<void> {
    const p = this._spawn()
    this._proc = p
    const out = p[this._stream]
    await new Promise<void>((resolve, reject) => {
      let log = ''
      const t = setTimeout(() => reject(new Error(`${this._name} did not start:\n${log}`)), 30_000)
      out?.on('data', (c: Buffer) => {
        log += c.toString()
        if (log.includes(this._ready)) {
          clearTimeout(t)
          resolve()
        }
      })
      p.once('exit', (code) => {
        clearTimeout(t)
        reject(new Error(`${this._name} exited (${code}):\n${log}`))
      })
    })
    out?.removeAllListeners('data')
    out?.resume()
  }

  async stop(): Promise<void> {
    const p = this._proc
    this._proc = null
    if (p === null || p.exitCode !== null) return
    await new Promise<void>((r) => {
      p.once('exit', () => r())
      p.kill(this._stopSignal)
    })
  }
}

export interface PgServer {
  port: number
  /** A member string for skitai.alias: 'postgres:p%40ss:w0rd@127.0.0.1:PORT/db'. */
  member(database?: string, weight?: number): string
  /** A connection config for a direct pg client. */
  config(database?: string): { host: string; port: number; user: string; password: string; database: string }
  stop(): Promise<void>
  start(): Promise<void>
  destroy(): Promise<void>
}

export async function startPostgres(): Promise<PgServer> {
  const dir = owned(mkdtempSync(join(tmpdir(), 'skitai-pg-')))
  const data = join(dir, 'data')
  cpSync(templateDir(), data, { recursive: true })
  const who = runAs()
  if (who.uid !== undefined) execFileSync('chown', ['-R', `${who.uid}:${who.gid}`, dir])
  const port = await freePort()
  // Fast shutdown (SIGINT): open sessions are terminated, as when a database server goes away.
  const server = new ServerProcess(
    'postgres',
    () =>
      spawn(
        join(PG_BIN as string, 'postgres'),
        [
          '-D',
          data,
          '-p',
          String(port),
          '-k',
          dir,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'fsync=off',
          '-c',
          'synchronous_commit=off',
          '-c',
          'full_page_writes=off',
          '-c',
          'max_connections=100',
        ],
        { ...who, stdio: ['ignore', 'ignore', 'pipe'] },
      ),
    'stderr',
    'ready to accept connections',
    'SIGINT',
  )
  const start = () => server.start()
  const stop = () => server.stop()
  await start()
  const enc = encodeURIComponent(PG_PASSWORD)
  return {
    port,
    member: (db = 'postgres', weight?: number) =>
      `postgres:${enc}@127.0.0.1:${port}/${db}${weight === undefined ? '' : ` ${weight}`}`,
    config: (db = 'postgres') => ({ host: '127.0.0.1', port, user: 'postgres', password: PG_PASSWORD, database: db }),
    stop,
    start,
    destroy: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface RedisServer {
  port: number
  url: string
  stop(): Promise<void>
  start(): Promise<void>
  destroy(): Promise<void>
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'skitai-redis-'))
  const port = await freePort()
  const server = new ServerProcess(
    'redis-server',
    () =>
      spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    'stdout',
    'Ready to accept connections',
    'SIGTERM',
  )
  const start = () => server.start()
  const stop = () => server.stop()
  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    stop,
    start,
    destroy: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
