/**
 * The daemon and systemd commands of a serve script (README "Running as a daemon / systemd"):
 * `skitai serve.ts start|stop|restart|status|install|uninstall [options]`, and the options that go with them.
 */

export const DAEMON_COMMANDS = ['start', 'stop', 'restart', 'status', 'install', 'uninstall'] as const
export type DaemonCommand = (typeof DAEMON_COMMANDS)[number]

export const COMMAND_HELP: Record<DaemonCommand, string> = {
  start: 'run in the background (logs in files, a pid file), return once it listens',
  stop: 'SIGTERM to the background server, wait for its graceful exit',
  restart: 'stop, then start',
  status: 'running (exit 0, pid and URL) or stopped (exit 3; 1: stale pid file)',
  install: 'write the systemd unit NAME.service (runs the script in the foreground)',
  uninstall: 'remove the systemd unit',
}

/** The shape of cli-options.ts's OptionSpec (not imported: cli-options.ts imports this file). */
interface DaemonOptionSpec {
  readonly short: string | undefined
  readonly long: string
  readonly help: string
  readonly takesValue: boolean
  readonly valueName: string
  /** The commands the option goes with; undefined: any, and the server itself (passed on to it). */
  readonly commands: readonly DaemonCommand[] | undefined
}

const opt = (
  long: string,
  valueName: string,
  help: string,
  commands: readonly DaemonCommand[] | undefined,
): DaemonOptionSpec => ({ short: undefined, long, help, takesValue: valueName !== '', valueName, commands })

export const DAEMON_OPTIONS: readonly DaemonOptionSpec[] = [
  opt('--logdir', 'DIR', "request.log, server.log into DIR (start: default logs/ or the script's)", undefined),
  opt('--pidfile', 'FILE', 'the pid file of a daemon (default LOGDIR/NAME.pid)', [
    'start',
    'stop',
    'restart',
    'status',
  ]),
  opt('--name', 'NAME', "pid file and unit name (default run({ name }), else the script's name)", [...DAEMON_COMMANDS]),
  opt('--timeout', 'SECONDS', 'start: wait to listen, stop: wait for the exit (default 30)', [
    'start',
    'stop',
    'restart',
  ]),
  opt('--force', '', 'stop: SIGKILL when the server has not exited by the timeout', ['stop', 'restart']),
  opt('--user', 'USER', 'install: User= of the unit (default the invoking user)', ['install']),
  opt('--prefix', 'DIR', 'the unit goes to DIR/etc/systemd/system (default /)', ['install', 'uninstall']),
]

/** Daemon options that are not the server's own: not passed on to the background server or the unit. */
export function isCommandOnly(long: string): boolean {
  return DAEMON_OPTIONS.some((o) => o.long === long && o.commands !== undefined)
}

/** Errors for daemon options given with a command they do not belong to (or without a command). */
export function misplacedOptions(command: string | undefined, given: Record<string, string | true>): string[] {
  const errors: string[] = []
  for (const name of Object.keys(given)) {
    const spec = DAEMON_OPTIONS.find((o) => o.long === `--${name}`)
    if (spec?.commands === undefined) continue
    if (command === undefined || !spec.commands.includes(command as DaemonCommand)) {
      errors.push(`--${name} goes with ${spec.commands.join(', ')}${command ? `, not ${command}` : ''}`)
    }
  }
  return errors
}
