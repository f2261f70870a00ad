/**
 * `skitai serve.ts install|uninstall`: a systemd unit that runs the serve script in the foreground
 * (README "Running as a daemon / systemd"). systemd supervises it: SIGTERM for a graceful stop, SIGHUP
 * for a reload, a restart when it fails.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

export interface UnitSpec {
  name: string
  description: string
  /** The command line: the node binary first, all absolute. */
  exec: readonly string[]
  workingDirectory: string
  user: string
  /** Seconds systemd waits for a graceful stop before SIGKILL. */
  timeoutStopSec: number
}

/** Unit names systemd accepts (no template `@`, no slashes). */
const UNIT_NAME = /^[A-Za-z0-9:_.-]+$/

export function validUnitName(name: string): boolean {
  return UNIT_NAME.test(name) && name.length <= 250
}

export function unitPath(prefix: string, name: string): string {
  return join(resolve(prefix), 'etc/systemd/system', `${name}.service`)
}

export function unitText(spec: UnitSpec): string {
  return [
    '# Written by `skitai install`; `skitai uninstall` removes it.',
    '[Unit]',
    `Description=${escapeSpecifiers(spec.description)}`,
    'After=network.target',
    '',
    '[Service]',
    'Type=simple',
    `User=${escapeSpecifiers(spec.user)}`,
    `WorkingDirectory=${escapeSpecifiers(spec.workingDirectory)}`,
    `ExecStart=${spec.exec.map(quoteArg).join(' ')}`,
    'ExecReload=/bin/kill -HUP $MAINPID',
    'KillSignal=SIGTERM',
    // SIGTERM to the main process only: with workers, the master stops them gracefully itself
    'KillMode=mixed',
    'Restart=on-failure',
    'RestartSec=1',
    `TimeoutStopSec=${spec.timeoutStopSec}`,
    `SyslogIdentifier=${escapeSpecifiers(spec.name)}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n')
}

export function writeUnit(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
}

/** False when there was no unit to remove. */
export function removeUnit(path: string): boolean {
  try {
    rmSync(path)
    return true
  } catch (e: any) {
    if (e?.code === 'ENOENT') return false
    throw e
  }
}

/** `%` starts a specifier in unit files. */
function escapeSpecifiers(value: string): string {
  return value.replace(/%/g, '%%')
}

/** An ExecStart word: `%` and `$` would be expanded by systemd, blanks and quotes need double quotes. */
function quoteArg(arg: string): string {
  if (/[\n\r]/.test(arg)) throw new Error(`install: a command-line word contains a line break: ${JSON.stringify(arg)}`)
  const escaped = escapeSpecifiers(arg).replace(/\$/g, '$$$$')
  if (/^[\w@%+=:,./$-]+$/.test(escaped)) return escaped
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}
