/**
 * Command-line options of a serve script (`npx skitai serve.ts --port 5001 --devel`), parsed in this one
 * place: the built-in options, the commands (`start | stop | restart | status | install | uninstall`, in
 * daemon-options.ts) and the options a script adds with `skitai.addOption`.
 */

import { COMMAND_HELP, DAEMON_COMMANDS, DAEMON_OPTIONS, isCommandOnly, misplacedOptions } from './daemon-options.js'

export interface OptionSpec {
  /** '-p', or undefined. */
  readonly short: string | undefined
  /** '--port' */
  readonly long: string
  readonly help: string
  /** Whether the option takes a value (`--port 5000` / `--port=5000`). */
  readonly takesValue: boolean
  /** Shown in --help for options with a value. */
  readonly valueName: string
}

/** Built-in options; `--workers` and the daemon commands plug in here. */
export const BUILTIN_OPTIONS: OptionSpec[] = [
  { short: '-p', long: '--port', help: 'port to listen on (overrides run())', takesValue: true, valueName: 'PORT' },
  {
    short: '-a',
    long: '--address',
    help: 'address to listen on (overrides run())',
    takesValue: true,
    valueName: 'ADDRESS',
  },
  {
    short: '-w',
    long: '--workers',
    help: 'worker processes sharing the port (overrides run(); default 1: no master)',
    takesValue: true,
    valueName: 'N',
  },
  {
    short: '-d',
    long: '--devel',
    help: 'development mode: error pages show stacks, workers restart on source changes',
    takesValue: false,
    valueName: '',
  },
  { short: '-h', long: '--help', help: 'show this help and exit', takesValue: false, valueName: '' },
]

/** Positional commands recognized after the script: the daemon and systemd commands (daemon.ts). */
export const COMMANDS: readonly string[] = DAEMON_COMMANDS

export interface ParsedArgs {
  port: number | undefined
  address: string | undefined
  workers: number | undefined
  devel: boolean
  help: boolean
  command: string | undefined
  /** Daemon options (daemon-options.ts) by long name without dashes: `{ pidfile: '/run/x.pid', force: true }`. */
  daemon: Record<string, string | true>
  /** The arguments minus the command and the options only the command uses: the server's own (daemon.ts). */
  passOn: string[]
  /** Custom options by long name without dashes: `{ qtran: true, file: 'x.txt' }`. */
  options: Record<string, string | true>
  errors: string[]
}

/**
 * `addOption('-q', '--qtran', 'help')` — a flag; `addOption(undefined, '--file=FILE', 'help')` or a long
 * name followed by ` VALUE` — an option with a value.
 */
export function makeOption(short: string | undefined | null, long: string, help = ''): OptionSpec {
  let name = long.trim()
  let valueName = ''
  const m = /^(--[A-Za-z0-9][\w-]*)(?:[= ]([^\s]*))?$/.exec(name)
  if (m === null)
    throw new TypeError(
      `addOption: the long option must look like '--name' or '--name=VALUE', got ${JSON.stringify(long)}`,
    )
  name = m[1] as string
  const takesValue = m[2] !== undefined
  if (takesValue) valueName = m[2] || 'VALUE'
  if (short != null && !/^-[A-Za-z0-9]$/.test(short)) {
    throw new TypeError(`addOption: the short option must look like '-q', got ${JSON.stringify(short)}`)
  }
  // a script option by a built-in's name would never be seen (the built-in is matched first)
  const taken = [...BUILTIN_OPTIONS, ...DAEMON_OPTIONS].find(
    (s) => s.long === name || (short != null && s.short === short),
  )
  if (taken !== undefined)
    throw new Error(
      `addOption: ${taken.long === name ? name : `${short} is ${taken.long}, which`} is a built-in option: choose another name`,
    )
  return { short: short ?? undefined, long: name, help, takesValue, valueName }
}

/** `addOption`: a script's option joins the others once (a long name given twice is an error). */
export function addOption(options: OptionSpec[], spec: OptionSpec): void {
  if (options.some((s) => s.long === spec.long)) throw new Error(`addOption: ${spec.long} is defined twice`)
  options.push(spec)
}

export function parseArgs(argv: readonly string[], custom: readonly OptionSpec[] = []): ParsedArgs {
  const out: ParsedArgs = {
    port: undefined,
    address: undefined,
    workers: undefined,
    devel: false,
    help: false,
    command: undefined,
    daemon: {},
    passOn: [],
    options: {},
    errors: [],
  }
  const specs = [...BUILTIN_OPTIONS, ...DAEMON_OPTIONS, ...custom]
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!arg.startsWith('-') || arg === '-') {
      if (out.command === undefined && COMMANDS.includes(arg)) out.command = arg
      else out.errors.push(`unexpected argument: ${arg}`)
      continue
    }
    const from = i
    const eq = arg.indexOf('=')
    const key = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    const spec = specs.find((s) => s.long === key || s.short === key)
    if (spec === undefined) {
      out.errors.push(`unknown option: ${key}`)
      continue
    }
    let value: string | true = true
    if (spec.takesValue) {
      if (key !== arg) value = arg.slice(eq + 1)
      else if (i + 1 < argv.length) value = argv[++i] as string
      else {
        out.errors.push(`option ${spec.long} needs a value`)
        continue
      }
    } else if (key !== arg) {
      out.errors.push(`option ${spec.long} takes no value`)
      continue
    }
    switch (spec.long) {
      case '--port': {
        const n = Number(value)
        if (!Number.isInteger(n) || n < 0 || n > 65535) out.errors.push(`--port must be a port number, got ${value}`)
        else out.port = n
        break
      }
      case '--address':
        out.address = value as string
        break
      case '--workers': {
        const n = Number(value)
        if (!Number.isInteger(n) || n < 1 || n > 1024)
          out.errors.push(`--workers must be a whole number from 1, got ${value}`)
        else out.workers = n
        break
      }
      case '--devel':
        out.devel = true
        break
      case '--help':
        out.help = true
        break
      default:
        if (DAEMON_OPTIONS.includes(spec as (typeof DAEMON_OPTIONS)[number])) out.daemon[spec.long.slice(2)] = value
        else out.options[spec.long.slice(2)] = value
    }
    if (!isCommandOnly(spec.long)) out.passOn.push(...argv.slice(from, i + 1))
  }
  out.errors.push(...misplacedOptions(out.command, out.daemon))
  return out
}

export function formatHelp(custom: readonly OptionSpec[] = [], script = 'serve.ts'): string {
  const lines = [`Usage: skitai ${script} [COMMAND] [options]`, '', 'Options:']
  const row = (s: OptionSpec) => {
    const names = `${s.short ? `${s.short}, ` : '    '}${s.long}${s.takesValue ? ` ${s.valueName}` : ''}`
    return `  ${names.padEnd(28)} ${s.help}`
  }
  for (const s of BUILTIN_OPTIONS) lines.push(row(s))
  lines.push('', 'Commands (none: run in the foreground):')
  for (const c of DAEMON_COMMANDS) lines.push(`  ${c.padEnd(28)} ${COMMAND_HELP[c]}`)
  lines.push('', 'Command options:')
  for (const s of DAEMON_OPTIONS) lines.push(row(s))
  if (custom.length > 0) {
    lines.push('', 'Script options:')
    for (const s of custom) lines.push(row(s))
  }
  return `${lines.join('\n')}\n`
}
