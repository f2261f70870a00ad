/**
 * `skitai serve.ts start|stop|restart|status|install|uninstall` (README "Running as a daemon / systemd").
 * The serve script runs up to `skitai.run()`, which hands the command here instead of listening: `start`
 * launches the same script with the same options, minus the command, as a detached process whose logs go
 * to files, records its pid, and waits for it to say (over an IPC channel) that it listens or why it could
 * not. The background server finds its pid file in SKITAI_DAEMON and removes it when it exits.
 */
import { spawn } from 'node:child_process'
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { basename, dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AccessLog } from './access-log.js'
import type { ParsedArgs } from './cli-options.js'
import type { DaemonCommand } from './daemon-options.js'
import {
  claimPidFile,
  isAlive,
  readPidFile,
  releasePidFile,
  removePidFile,
  waitForExit,
  writePidFile,
} from './pid-file.js'
import { removeUnit, unitPath, unitText, validUnitName, writeUnit } from './systemd-unit.js'

/** The parts of the engine the commands use. */
export interface DaemonEngine {
  readonly log: AccessLog
  abspath(...parts: string[]): string
  enableFileLogging(dir?: string): unknown
}

const BIN = fileURLToPath(new URL('../bin/skitai.js', import.meta.url))
const DEFAULT_TIMEOUT_S = 30
/** systemd's TimeoutStopSec: the engine's own shutdown gives up after 20 s. */
const UNIT_STOP_TIMEOUT_S = 30

/** Set in the background server: its pid file (taken out of the environment so workers do not inherit it). */
let daemonPidFile: string | undefined

/**
 * Before listening, in every mode: `--logdir` turns file logging on (`start` gives it to the background
 * server, so that its workers log to files too).
 */
export function applyLogOptions(engine: DaemonEngine, args: ParsedArgs): void {
  if (process.env.SKITAI_DAEMON !== undefined && process.send !== undefined) {
    daemonPidFile = process.env.SKITAI_DAEMON
    delete process.env.SKITAI_DAEMON
    const file = daemonPidFile
    process.once('exit', () => releasePidFile(file, process.pid))
  }
  if (typeof args.daemon.logdir === 'string') engine.enableFileLogging(args.daemon.logdir)
}

/** The background server listens: tell `start`, which is waiting. */
export function reportListening(url: string): void {
  tellStarter({ listening: url })
}

/** The background server cannot listen: tell `start` why. */
export function reportListenFailure(message: string): void {
  tellStarter({ error: message })
}

function tellStarter(message: object): void {
  if (daemonPidFile === undefined || process.send === undefined || !process.connected) return
  try {
    process.send(message, () => {
      if (process.connected) process.disconnect()
    })
  } catch {}
}

interface CommandContext {
  engine: DaemonEngine
  args: ParsedArgs
  script: string
  name: string
  pidFile: string
  logDir: string
  timeoutS: number
  /** The background server's options: the command line minus the command and its own options. */
  serverArgs: string[]
}

/** Run the command and exit with its status (LSB-like: status is 0 running, 1 stale pid file, 3 stopped). */
export async function runDaemonCommand(
  engine: DaemonEngine,
  args: ParsedArgs,
  runName: string | undefined,
): Promise<never> {
  const script = process.argv[1] as string
  const name = (args.daemon.name as string | undefined) ?? runName ?? basename(script, extname(script))
  const logDir = typeof args.daemon.logdir === 'string' ? engine.abspath(args.daemon.logdir) : logDirOf(engine)
  const timeoutS = args.daemon.timeout === undefined ? DEFAULT_TIMEOUT_S : Number(args.daemon.timeout)
  let code: number
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
    code = fail(`--timeout must be a number of seconds above 0, got ${args.daemon.timeout}`, 2)
  } else if (!validUnitName(name)) {
    code = fail(`the name ${JSON.stringify(name)} is not usable (letters, digits, ':', '_', '.', '-'): give --name`, 2)
  } else {
    const pidFile =
      typeof args.daemon.pidfile === 'string' ? engine.abspath(args.daemon.pidfile) : join(logDir, `${name}.pid`)
    const ctx: CommandContext = { engine, args, script, name, pidFile, logDir, timeoutS, serverArgs: args.passOn }
    try {
      code = await COMMANDS[args.command as DaemonCommand](ctx)
    } catch (e: any) {
      code = fail(`${args.command} failed: ${e?.message ?? e}`, 1)
    }
  }
  process.exit(code)
}

function logDirOf(engine: DaemonEngine): string {
  return engine.log.dir ?? engine.abspath('logs')
}

const COMMANDS: Record<DaemonCommand, (ctx: CommandContext) => Promise<number>> = {
  start,
  stop,
  async restart(ctx) {
    // no server options given: the ones it was started with
    const recorded = readPidFile(ctx.pidFile, ctx.script)?.args
    const stopped = await stop(ctx)
    if (stopped !== 0) return stopped
    return start(recorded !== undefined && onlyLogdir(ctx.args.passOn) ? { ...ctx, serverArgs: recorded } : ctx)
  },
  async status(ctx) {
    const state = readPidFile(ctx.pidFile, ctx.script)
    if (state === null) return say(`${ctx.name} is stopped`, 3)
    if (!state.running)
      return say(`${ctx.name} is stopped (stale pid file ${ctx.pidFile}: pid ${state.pid} is not this server)`, 1)
    return say(`${ctx.name} is running (pid ${state.pid})${state.url ? ` on ${state.url}` : ''}`, 0)
  },
  install,
  async uninstall(ctx) {
    const path = unitPath((ctx.args.daemon.prefix as string | undefined) ?? '/', ctx.name)
    if (!removeUnit(path)) return fail(`there is no unit ${path}`, 1)
    return say(
      `removed ${path}\nnext (if it was enabled, disable it first): systemctl disable --now ${ctx.name}; systemctl daemon-reload`,
      0,
    )
  },
}

async function start(ctx: CommandContext): Promise<number> {
  const { pidFile, logDir, name } = ctx
  const claim = claimPidFile(pidFile, ctx.script)
  if (!claim.claimed) return fail(`${name} is already running (pid ${claim.pid}, pid file ${pidFile})`, 1)
  // the background server's stdout and stderr (whatever does not go to request.log or server.log)
  const outputPath = join(logDir, 'output.log')
  let child: ReturnType<typeof spawn>
  let outputStart: number
  try {
    const fd = openSync(outputPath, 'a')
    outputStart = fstatSync(fd).size
    try {
      // logs in files: in the script's own `enableFileLogging` directory, else logs/ (or --logdir)
      const logArgs = ctx.args.daemon.logdir === undefined ? ['--logdir', logDir] : []
      child = spawn(process.execPath, [...process.execArgv, BIN, ctx.script, ...ctx.serverArgs, ...logArgs], {
        detached: true,
        stdio: ['ignore', fd, fd, 'ipc'],
        cwd: dirname(ctx.script),
        env: { ...process.env, SKITAI_DAEMON: pidFile },
      })
    } finally {
      closeSync(fd)
    }
  } catch (e) {
    removePidFile(pidFile)
    throw e
  }
  if (child.pid !== undefined) writePidFile(pidFile, child.pid)
  const outcome = await new Promise<{ url: string } | { error: string }>((resolve) => {
    const timer = setTimeout(
      () => resolve({ error: `it did not listen within ${ctx.timeoutS} s (--timeout)` }),
      ctx.timeoutS * 1000,
    )
    const done = (o: { url: string } | { error: string }) => {
      clearTimeout(timer)
      resolve(o)
    }
    child.on('message', (m: any) => {
      if (typeof m?.listening === 'string') done({ url: m.listening })
      else if (typeof m?.error === 'string') done({ error: m.error })
    })
    child.once('exit', (code, signal) => done({ error: `it exited (${signal ?? `code ${code}`}) before listening` }))
    child.once('error', (e) => done({ error: e.message }))
  })
  const pid = child.pid as number
  if ('url' in outcome) {
    writePidFile(pidFile, pid, { url: outcome.url, args: ctx.serverArgs })
    if (child.connected) child.disconnect()
    child.unref()
    return say(`${name} started (pid ${pid}) on ${outcome.url}\nlogs in ${logDir}, pid file ${pidFile}`, 0)
  }
  if (child.pid !== undefined && isAlive(pid)) {
    child.kill('SIGTERM')
    if (!(await waitForExit(pid, 5000))) child.kill('SIGKILL')
  }
  if (child.pid !== undefined) releasePidFile(pidFile, pid)
  else removePidFile(pidFile)
  const output = tail(outputPath, outputStart)
  return fail(`${name} did not start: ${outcome.error}${output ? `\n${outputPath}:\n${output}` : ''}`, 1)
}

async function stop(ctx: CommandContext): Promise<number> {
  const { pidFile, name } = ctx
  const state = readPidFile(pidFile, ctx.script)
  if (state === null) return say(`${name} is not running`, 0)
  if (!state.running) {
    removePidFile(pidFile)
    return say(`${name} is not running (removed the stale pid file of pid ${state.pid})`, 0)
  }
  const { pid } = state
  signal(pid, 'SIGTERM')
  if (await waitForExit(pid, ctx.timeoutS * 1000)) {
    releasePidFile(pidFile, pid)
    return say(`${name} stopped (pid ${pid})`, 0)
  }
  if (ctx.args.daemon.force === true) {
    signal(pid, 'SIGKILL')
    if (await waitForExit(pid, 5000)) {
      releasePidFile(pidFile, pid)
      return say(`${name} killed (pid ${pid}): it had not exited ${ctx.timeoutS} s after SIGTERM`, 0)
    }
  }
  return fail(
    `${name} (pid ${pid}) has not exited ${ctx.timeoutS} s after SIGTERM and is still running${ctx.args.daemon.force ? ' (even after SIGKILL)' : '; stop --force sends SIGKILL'}`,
    1,
  )
}

async function install(ctx: CommandContext): Promise<number> {
  const path = unitPath((ctx.args.daemon.prefix as string | undefined) ?? '/', ctx.name)
  const user = (ctx.args.daemon.user as string | undefined) ?? process.env.SUDO_USER ?? userInfo().username
  const text = unitText({
    name: ctx.name,
    description: `Skitai ${ctx.name} (${ctx.script})`,
    // the server in the foreground, as systemd wants it: this node, the skitai command, the script
    exec: [process.execPath, ...process.execArgv, BIN, ctx.script, ...ctx.args.passOn],
    workingDirectory: dirname(ctx.script),
    user,
    timeoutStopSec: UNIT_STOP_TIMEOUT_S,
  })
  try {
    writeUnit(path, text)
  } catch (e: any) {
    if (e?.code === 'EACCES' || e?.code === 'EPERM')
      return fail(`cannot write ${path}: permission denied (run it as root, or give --prefix DIR)`, 1)
    throw e
  }
  return say(`wrote ${path} (User=${user})\nnext: systemctl daemon-reload && systemctl enable --now ${ctx.name}`, 0)
}

/** Whether the server options are none but `--logdir` (which `status`/`stop` need to find the pid file). */
function onlyLogdir(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--logdir') i++
    else if (!args[i]?.startsWith('--logdir=')) return false
  }
  return true
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch (e: any) {
    if (e?.code !== 'ESRCH') throw e
  }
}

/** The last lines `start`'s background server wrote to its output file. */
function tail(path: string, from: number): string {
  try {
    const text = readFileSync(path).subarray(from).toString('utf8').trimEnd()
    return text.split('\n').slice(-20).join('\n')
  } catch {
    return ''
  }
}

function say(message: string, code: number): number {
  process.stdout.write(`${message}\n`)
  return code
}

function fail(message: string, code: number): number {
  process.stderr.write(`skitai: ${message}\n`)
  return code
}
