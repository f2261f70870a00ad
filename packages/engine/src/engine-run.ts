import cluster from 'node:cluster'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { basename, extname } from 'node:path'
import type { Duplex } from 'node:stream'
import { formatHelp, type OptionSpec, parseArgs } from './cli-options.js'
import { Master } from './cluster/master.js'
import { isSkitaiWorker, serveAsWorker, type WorkerEngine } from './cluster/worker.js'
import { applyLogOptions, type DaemonEngine, reportListenFailure, reportListening, runDaemonCommand } from './daemon.js'
import type { EngineCore } from './engine-core.js'
import type { EngineSettings } from './engine-settings.js'
import type { MountRegistry } from './mount-registry.js'
import type { ListenOptions, RunOptions } from './options.js'
import { createHttpServer } from './server.js'
import { drainAndClose, installShutdownSignals } from './shutdown.js'
import type { Observer } from './status/observe.js'
import { reloadTlsOnSighup } from './tls.js'
import { installUncaughtHandlers } from './uncaught.js'
import type { WsHub } from './ws-hub.js'

/**
 * What starting and stopping read and set on the engine (engine.ts makes the runner with the Engine: no
 * import of the class).
 */
export interface RunnableEngine extends EngineCore, DaemonEngine, WorkerEngine {
  server: Server | null
  debug: boolean
  forwardPort: number | undefined
  readonly shutdownTimeout: number
  readonly root: string
  readonly tls: boolean
  readonly upgraded: Set<Duplex>
  readonly settings: EngineSettings
  readonly registry: MountRegistry
  /** `useRedis`: the backend the engine installed, closed with it. */
  readonly redis: { readonly backend: { close(): Promise<void> } } | null
  readonly wsHub: WsHub | null
  readonly observer: Observer | null
  listen(options?: ListenOptions): Promise<number>
}

/**
 * The engine's start and stop: `listen` (prepare, create the server, bind), `run` (the serve script's
 * entry: its command line, daemon commands, master or worker or a single process) and `close` (the
 * graceful shutdown). Settings and mounts are made before; this wires them to a server.
 */
export class EngineRunner {
  /** `addOption`: the serve script's own command-line options. */
  readonly customOptions: OptionSpec[] = []
  private signalsInstalled = false
  private stopTlsReload: (() => void) | null = null
  private closed: Promise<void> | null = null

  /** `argv`: the serve script's command line; null for an engine made with `new Engine()`. */
  constructor(
    private readonly engine: RunnableEngine,
    readonly argv: readonly string[] | null,
  ) {}

  /** Custom options given on the command line, by long name without dashes. */
  get options(): Record<string, string | true> {
    return parseArgs(this.argv ?? [], this.customOptions).options
  }

  async listen(options: ListenOptions): Promise<number> {
    const e = this.engine
    await e.prepare()
    const server = e.server ?? this.createServer(options.http2 !== false)
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, options.address ?? '127.0.0.1', () => {
        server.removeListener('error', reject)
        resolveListen()
      })
    })
    const port = (server.address() as AddressInfo).port
    const forward = e.settings.forward
    if (forward !== null && e.forwardPort === undefined)
      e.forwardPort = await forward.listen(options.address ?? '127.0.0.1', port)
    return port
  }

  async run(options: RunOptions): Promise<number> {
    const e = this.engine
    const args = this.argv !== null ? parseArgs(this.argv, this.customOptions) : null
    if (args?.help) {
      process.stdout.write(
        formatHelp(this.customOptions, process.argv[1] ? relativeScript(process.argv[1]) : 'serve.ts'),
      )
      process.exit(0)
    }
    if (args && args.errors.length > 0) {
      process.stderr.write(`skitai: ${args.errors.join('; ')}\n${formatHelp(this.customOptions)}`)
      process.exit(2)
    }
    // start/stop/status/install…: handled instead of serving (README "Running as a daemon / systemd")
    if (args?.command !== undefined) return runDaemonCommand(e, args, options.name)
    if (args) applyLogOptions(e, args)
    const devel = args?.devel === true || options.devel === true
    e.debug = devel || e.debug
    const port = args?.port ?? options.port ?? 5000
    const address = args?.address ?? options.address ?? '0.0.0.0'
    const workers = args?.workers ?? options.workers ?? 1
    if (!Number.isInteger(workers) || workers < 1)
      throw new TypeError(`run(): workers must be an integer >= 1, got ${workers}`)
    const scheme = e.tls ? 'https' : 'http'
    const wantsReloader = () => e.registry.wantsReloader()
    // more than one worker, or the reloader: this process becomes the master (cluster/master.ts)
    if (this.argv !== null && cluster.isPrimary && (workers > 1 || devel || wantsReloader())) {
      await e.redis?.backend.close() // the workers talk to Redis; the master does not serve
      const up = await new Master({
        name: options.name ?? scriptName(),
        workers,
        script: process.argv[1] as string,
        args: process.argv.slice(2),
        root: e.root,
        reloader: devel || wantsReloader(),
        criticalPoint: e.settings.criticalPoint,
        graceSeconds: 10,
        listening: `listening on ${scheme}://${address}:${port}`,
        log: (level, m) => e.log.serverLog(level, m),
        flush: () => e.log.flush(),
      }).start()
      // `skitai serve.ts start --workers N` waits for this (daemon.ts)
      if (up > 0) reportListening(`${scheme}://${address}:${port}`)
      else reportListenFailure(`no worker could listen on ${address}:${port}`)
      return port
    }
    this.installSignals()
    let bound: number
    const listen = async () => {
      try {
        return await e.listen({ port, address, http2: options.http2 })
      } catch (err: any) {
        e.log.serverLog('error', `skitai: cannot listen on ${address}:${port}: ${err?.code ?? err?.message ?? err}`)
        reportListenFailure(`cannot listen on ${address}:${port}: ${err?.code ?? err?.message ?? err}`)
        e.log.flush()
        throw err
      }
    }
    if (this.argv !== null && isSkitaiWorker()) {
      bound = await serveAsWorker(e, listen, {
        usesRedis: e.redis !== null,
        criticalPoint: e.settings.criticalPoint,
        wantsReloader,
      })
    } else bound = await listen()
    e.log.serverLog(
      'info',
      `skitai: listening on ${e.tls ? 'https' : 'http'}://${address}:${bound}${options.http2 === false ? '' : ' (HTTP/1.1 and HTTP/2)'} (pid ${process.pid})`,
    )
    if (e.forwardPort !== undefined)
      e.log.serverLog('info', `skitai: forwarding http://${address}:${e.forwardPort} to https (301)`)
    e.log.flush()
    reportListening(`${e.tls ? 'https' : 'http'}://${address}:${bound}`)
    return bound
  }

  /** The graceful shutdown; calling it again returns the same promise. */
  close(graceSeconds: number): Promise<void> {
    if (this.closed === null) this.closed = this.doClose(graceSeconds)
    return this.closed
  }

  private async doClose(graceSeconds: number): Promise<void> {
    const e = this.engine
    e.closing = true
    this.stopTlsReload?.()
    const server = e.server
    // WebSocket sessions get their close frame (1001) while the HTTP requests in flight finish
    e.wsHub?.closeAll()
    // at once, not after the forward port has closed: the drain's first turn must be the next one
    const drained = server?.listening ? drainAndClose(e, server, graceSeconds, e.upgraded) : undefined
    await Promise.all([e.settings.forward?.close(), drained])
    await e.registry.unmountAll((err, source) => e.log.appError(err, '-', `unmount ${source}`))
    await e.redis?.backend.close()
    e.observer?.close()
    await e.log.close()
  }

  /** Shutdown signals, and errors escaping a request's promise chain logged instead of exiting (uncaught.ts). */
  private installSignals(): void {
    if (this.signalsInstalled) return
    this.signalsInstalled = true
    installShutdownSignals(this.engine)
    installUncaughtHandlers(this.engine)
  }

  private createServer(http2: boolean): Server {
    const e = this.engine
    const server = createHttpServer(e, e.settings.serverSettings(http2))
    e.server = server
    const tls = e.settings.tlsFiles
    if (tls !== null)
      this.stopTlsReload = reloadTlsOnSighup(server as any, tls, (level, m) => e.log.serverLog(level, m))
    return server
  }
}

/** The service name by default: the serve script's file name without its extension. */
function scriptName(): string {
  const script = process.argv[1]
  return script ? basename(script, extname(script)) : 'skitai'
}

function relativeScript(p: string): string {
  const cwd = process.cwd()
  return p.startsWith(`${cwd}/`) ? p.slice(cwd.length + 1) : p
}
