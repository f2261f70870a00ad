/**
 * The pid file of a background server (README "Running as a daemon / systemd"): the pid alone on one line,
 * so `kill $(cat serve.pid)` works; beside it `FILE.json` records the URL the server listens on and the
 * options it was started with (`restart` reuses them).
 */
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname } from 'node:path'

export interface PidFileState {
  pid: number
  /** False: the pid file is stale (that process is gone, or the pid now belongs to another program). */
  running: boolean
  url: string | undefined
  /** The server's command-line options (the command and its own options left out). */
  args: string[] | undefined
}

interface StartRecord {
  url: string
  args: string[]
}

/** The state the pid file records, or null when there is none (or it holds no pid). */
export function readPidFile(file: string, script: string): PidFileState | null {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return null
  }
  const pid = Number(text.trim())
  if (!Number.isInteger(pid) || pid <= 0) return null
  let record: Partial<StartRecord> = {}
  try {
    record = JSON.parse(readFileSync(`${file}.json`, 'utf8'))
  } catch {}
  const url = typeof record.url === 'string' ? record.url : undefined
  const args = Array.isArray(record.args) && record.args.every((a) => typeof a === 'string') ? record.args : undefined
  return { pid, running: isServerProcess(pid, script), url, args }
}

/**
 * Claim the pid file for this process (created exclusively, so two `start`s cannot both win). An existing
 * stale one is replaced; a live one is returned instead of claimed.
 */
export function claimPidFile(file: string, script: string): { claimed: true } | { claimed: false; pid: number } {
  mkdirSync(dirname(file), { recursive: true })
  for (let attempt = 0; ; attempt++) {
    // written aside, then linked into place: the pid file appears whole or not at all
    const aside = `${file}.${process.pid}.tmp`
    writeFileSync(aside, `${process.pid}\n`)
    try {
      linkSync(aside, file)
      rmSync(`${file}.json`, { force: true })
      return { claimed: true }
    } catch (e: any) {
      if (e?.code !== 'EEXIST') throw e
    } finally {
      rmSync(aside, { force: true })
    }
    const state = readPidFile(file, script)
    if (state?.running) return { claimed: false, pid: state.pid }
    // taken again right after the stale one was removed: another `start` won the race
    if (attempt > 0) return { claimed: false, pid: state?.pid ?? 0 }
    removePidFile(file)
  }
}

export function writePidFile(file: string, pid: number, record?: StartRecord): void {
  writeFileSync(file, `${pid}\n`)
  if (record !== undefined) writeFileSync(`${file}.json`, `${JSON.stringify(record)}\n`)
}

export function removePidFile(file: string): void {
  rmSync(file, { force: true })
  rmSync(`${file}.json`, { force: true })
}

/** Remove the pid file only while it still names `pid` (a newer server may have claimed it since). */
export function releasePidFile(file: string, pid: number): void {
  try {
    if (Number(readFileSync(file, 'utf8').trim()) === pid) removePidFile(file)
  } catch {}
}

/**
 * Whether `pid` is alive and, where /proc tells, still runs this script (a pid reused by another program
 * makes the pid file stale). A zombie counts as gone: a background server whose parent exited is reaped by
 * whatever adopted it, which inside a container may be slow to do so.
 */
export function isServerProcess(pid: number, script: string): boolean {
  if (!isAlive(pid)) return false
  let cmdline: string
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return true // no /proc (macOS): the signal test is all there is
  }
  return cmdline.includes(basename(script))
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (e: any) {
    if (e?.code !== 'EPERM') return false // EPERM: it exists, under another user
  }
  try {
    // "pid (comm) S ..." — the state letter follows the last ')'
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    return !existsProc()
  }
}

let procExists: boolean | undefined
function existsProc(): boolean {
  if (procExists === undefined) {
    try {
      readFileSync('/proc/self/stat')
      procExists = true
    } catch {
      procExists = false
    }
  }
  return procExists
}

/** Wait until `pid` is gone; false when it is still there after `ms`. */
export async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 100))
  }
  return true
}
