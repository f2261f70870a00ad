// Real processes for the loader and packaging tests: a free port, a server process that is ready when
// its port accepts connections, and its RSS once it idles.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

export interface ServerProcess {
  child: ChildProcess
  output(): string
  get(path: string): Promise<{ status: number; text: string }>
  rssKb(): number
  stop(): Promise<void>
}

/** Spawns `command args` in `cwd` and resolves once `port` accepts connections (rejects with the output if it exits). */
export async function startServer(
  command: string,
  args: string[],
  options: {
    cwd: string
    port: number
    env?: NodeJS.ProcessEnv
    timeout?: number
    /** Its own process group, signalled whole by stop() and on timeout (for launchers such as npx). */
    detached?: boolean
  },
): Promise<ServerProcess> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached === true,
  })
  const signal = (name: NodeJS.Signals) => {
    if (options.detached === true && child.pid !== undefined) {
      try {
        process.kill(-child.pid, name)
        return
      } catch {}
    }
    child.kill(name)
  }
  let out = ''
  child.stdout?.on('data', (d) => (out += d))
  child.stderr?.on('data', (d) => (out += d))
  let exited = false
  const exit = new Promise<void>((resolve) =>
    // detached: 'close' waits for every process of the group holding the output pipes, not only the launcher
    child.once(options.detached === true ? 'close' : 'exit', () => {
      exited = true
      resolve()
    }),
  )
  const deadline = Date.now() + (options.timeout ?? 60_000)
  while (!(await canConnect(options.port))) {
    if (exited) throw new Error(`${command} ${args.join(' ')} exited before listening:\n${out}`)
    if (Date.now() > deadline) {
      signal('SIGKILL')
      throw new Error(`${command} ${args.join(' ')} did not listen on ${options.port}:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    child,
    output: () => out,
    async get(path) {
      const res = await fetch(`http://127.0.0.1:${options.port}${path}`)
      return { status: res.status, text: await res.text() }
    },
    rssKb() {
      const m = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)
      return Number(m?.[1])
    },
    async stop() {
      if (!exited) signal('SIGTERM')
      await exit
    },
  }
}
