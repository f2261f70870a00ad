// The `skitai` command as the daemon tests run it: a real process per call, its exit code and output, and
// a record of every server pid seen so that nothing is left running when a test fails.
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const BIN = fileURLToPath(new URL('../bin/skitai.js', import.meta.url))
export const FIXTURE_DIR = fileURLToPath(new URL('./fixtures/daemon/', import.meta.url))
export const FIXTURE = `${FIXTURE_DIR}serve.ts`
/** The export conditions of this test process (`skitai-source`: @skitai/* from src/). */
export const CONDITIONS = process.execArgv.filter((a) => a.startsWith('--conditions') || a.startsWith('-C'))

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

const seen = new Set<number>()

/** `skitai SCRIPT ...args`; resolves with the exit code (never rejects on a non-zero one). */
export function skitai(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...CONDITIONS, BIN, script, ...args],
      { timeout: timeoutMs, encoding: 'utf8', env: { ...process.env, ...env } },
      (err: any, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(err)
        else {
          for (const m of `${stdout}`.matchAll(/\(pid (\d+)\)/g)) seen.add(Number(m[1]))
          resolve({ code: err ? err.code : 0, stdout, stderr })
        }
      },
    )
  })
}

/** Note a pid read elsewhere (a pid file) so that `killLeftovers` covers it. */
export function track(pid: number): number {
  seen.add(pid)
  return pid
}

/** Whether the process is gone (a zombie counts as gone: it no longer runs). */
export function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return /^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))
  } catch {
    return true
  }
}

/** SIGKILL every server pid the tests saw that still runs (after a failed test). */
export function killLeftovers(): number[] {
  const killed: number[] = []
  for (const pid of seen) {
    if (gone(pid)) continue
    // only a server of the fixtures (a pid the system reused since belongs to someone else)
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('serve.ts')) continue
    } catch {
      continue
    }
    try {
      process.kill(pid, 'SIGKILL')
      killed.push(pid)
    } catch {}
  }
  return killed
}

export function readPid(file: string): number {
  return track(Number(readFileSync(file, 'utf8').trim()))
}

/** Pids of live processes whose command line contains `text` (a test's temp dir): what a test left behind. */
export function processesWith(text: string): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text) && !gone(Number(entry))) out.push(Number(entry))
    } catch {}
  }
  return out
}
