// Server processes: each bench server runs in a child process of its own, pinned to the server CPU,
// and is ready when its port accepts connections. Skitai servers whose package is not ready tell us
// so over IPC and are reported as skipped.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { pinned } from './cpus.mjs'

const SERVERS_DIR = fileURLToPath(new URL('../servers/', import.meta.url))
const START_TIMEOUT_MS = 60_000

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** Resident set size of a process in bytes (Linux /proc), or null where unavailable. */
export function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : null
  } catch {
    return null
  }
}

let clockTicks = null

/**
 * CPU seconds (user + system) a process has used so far (Linux /proc/PID/stat), or null. Taken around
 * a round it gives the server's CPU cost per request, which holds even when the load generator, not
 * the server, is the bottleneck, and is less disturbed by other processes than req/s.
 */
export function cpuSecondsOf(pid) {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // fields after the ")" that closes the command name: utime and stime are the 12th and 13th
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / clockTicks
  } catch {
    return null
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function canConnect(port) {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

/**
 * Start `def.script` and wait until it listens.
 * @returns {Promise<{status:'ready'|'skipped'|'failed', reason?:string, port:number, pid:number,
 *   unsupported:Record<string,string>, stop:()=>Promise<void>}>}
 */
export async function startServer(def, { cpu, source, env }) {
  const port = await freePort()
  const nodeArgs = [
    ...(source && def.skitai ? ['--conditions=skitai-source', '--import', 'tsx'] : []),
    ...(def.nodeArgs ?? []),
  ]
  const [cmd, args] = pinned(cpu, [...nodeArgs, def.script])
  const child = spawn(cmd, args, {
    cwd: SERVERS_DIR,
    env: { ...process.env, ...env, ...def.env, BENCH_PORT: String(port), NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000)
  })
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const info = { unsupported: {}, skip: null }
  child.on('message', (m) => {
    if (m?.type === 'info') info.unsupported = m.unsupported ?? {}
    if (m?.type === 'skip') info.skip = m.reason
  })
  /** SIGKILL by default; SIGTERM lets a profiled server write its profile (falls back to SIGKILL). */
  const stop = async (signal = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal)
      const timer = signal === 'SIGKILL' ? null : setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      if (timer) clearTimeout(timer)
    }
  }
  const result = (status, reason) => ({ status, reason, port, pid: child.pid, unsupported: info.unsupported, stop })

  let done = false
  exited.then(() => {
    done = true
  })
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (done) {
      await sleep(20) // let a last IPC message arrive
      if (info.skip) return result('skipped', info.skip)
      const tail = stderr.trim().split('\n').slice(-6).join('\n')
      return result('failed', `exited before listening (${JSON.stringify(await exited)}): ${tail}`)
    }
    if (await canConnect(port)) return result('ready')
    await sleep(50)
  }
  await stop()
  return result('failed', `did not listen within ${START_TIMEOUT_MS / 1000} s: ${stderr.trim().slice(-500)}`)
}

/** The backends of scenarios 6 and 7, in one pinned child process. */
export async function startBackends(cpu, env) {
  const [cmd, args] = pinned(cpu, ['backend.mjs'])
  const child = spawn(cmd, args, {
    cwd: SERVERS_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  await new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('exit', (code) => reject(new Error(`bench backends exited with ${code}`)))
  })
  return () => child.kill('SIGKILL')
}
