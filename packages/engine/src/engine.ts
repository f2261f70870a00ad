import { type CompressionOptions, CompressionSettings } from './compression.js'
import cluster from 'node:cluster'
import { statSync } from 'node:fs'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { basename, dirname, extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  type AliasOptions,
  type AliasType,
  type CachefsOptions,
  type Cluster,
  deflu,
  enableCachefs,
  registerAlias,
  setMaxRcache,
} from '@skitai/was'
import { AccessLog } from './access-log.js'
import { AddressTable } from './address-caps.js'
import { formatHelp, makeOption, type OptionSpec, parseArgs } from './cli-options.js'
import { applyLogOptions, reportListenFailure, reportListening, runDaemonCommand } from './daemon.js'
import { type EngineLike, isSkitaiApp, type SkitaiApp } from './contract.js'
import {
  type EngineOptions,
  type ListenOptions,
  type MountOptions,
  normalizeHosts,
  type Prefs,
  type RunOptions,
  secondsToMs,
} from './options.js'
import { type RenderedError, renderFailure, writeError } from './error-page.js'
import { type AppTarget, type MountEntry, MountTable, normalizePoint } from './mounts.js'
import { handleRequest } from './pipeline.js'
import { SharedG } from './shared-g.js'
import { installRedis, type UseRedisOptions } from './use-redis.js'
import type { EngineRequestContext } from './request-context.js'
import type { SkitaiResponse } from './response.js'
import { createHttpServer, deadlinesChanged, setKeepAliveOf, setRequestTimeoutOf } from './server.js'
import { drainAndClose, installShutdownSignals } from './shutdown.js'
import { HttpsForward } from './forward.js'
import { DEFAULT_H2_LIMITS, type H2Limits, mergeH2Limits } from './http2-limits.js'
import { createStaticHandler } from './static.js'
import type { StatusReport } from './status/figures.js'
import { type ObserveOptions, Observer } from './status/observe.js'
import type { RequestStats } from './status/request-stats.js'
import { MaxAgeTable } from './static-maxage.js'
import { type LaunchOptions, openTestClient, type TestClient } from './test-client.js'
import { readTlsFiles, reloadTlsOnSighup, type TlsFiles } from './tls.js'
import { installUncaughtHandlers } from './uncaught.js'
import { WsHub } from './ws-hub.js'
import { type CriticalPoint, criticalPointOf } from './cluster/critical-point.js'
import { Master } from './cluster/master.js'
import { isSkitaiWorker, serveAsWorker, startWorkerProcess } from './cluster/worker.js'
import { aliasTarget, type ErrorReporter, isFetchHandler, type MountableApp, toAppTarget } from './targets.js'

export type { EngineOptions, ListenOptions, MountOptions, Prefs, RunOptions } from './options.js'

interface MountRecord {
  readonly point: string
  readonly hosts: readonly string[] | null
  readonly source: string
  readonly entries: MountEntry[]
  /** A module path waiting for run(): absolute file and export name. */
  module: { file: string; exportName: string | undefined } | null
  target: AppTarget | null
}

/**
 * One Skitai server: its mount table, settings, HTTP server and logs. `skitai` (the default export) is
 * an Engine driven by the serve script; tests make their own with `new Engine()`.
 */
export class Engine implements EngineLike, ErrorReporter {
  readonly mounts = new MountTable()
  readonly log = new AccessLog()
  readonly maxAge = new MaxAgeTable()
  readonly prefs: Prefs = {
    maxClientBodySize: 64 * 1024 * 1024,
    maxInFlight: 10000,
    coalescePipelinedWrites: true,
    maxConnectionsPerAddress: 1000,
    maxInFlightPerAddress: 500,
    minBodyRate: 512,
    bodyRateGraceSeconds: 10,
  }
  /** Open connections and requests in flight per client address (address-caps.ts). */
  readonly addresses = new AddressTable()
  /** Requests being handled now. */
  inFlight = 0
  /** Open client connections. */
  connections = 0
  /** Request counters of the status page and metrics (status/request-stats.ts); null until either is on. */
  stats: RequestStats | null = null
  closing = false
  /** @internal set by close() one turn after `closing` (shutdown.ts): answers close their connections */
  draining = false
  /** Seconds `close()` and the shutdown signals give requests in flight (setShutdownTimeout). */
  shutdownTimeout = 10
  debug = false
  /** Seconds sent in Retry-After with a 503 (set503EstimatedTimeout). */
  retryAfter = 10
  server: Server | null = null

  /** @internal the keep-alive time, advertised in every response's Keep-Alive header (pipeline.ts) */
  keepAliveMs = 30_000
  /** @internal the whole-body deadline (deadlines.ts) */
  bodyTimeoutMs = 300_000
  /** @internal the handler deadline (deadlines.ts) */
  handlerTimeoutMs = 60_000
  private requestTimeoutMs = 30_000
  private headersTimeoutMs = 20_000
  private readonly records: MountRecord[] = []
  private prepared: Promise<void> | null = null
  private closed: Promise<void> | null = null
  private readonly customOptions: OptionSpec[] = []
  private readonly sharedG = new SharedG()
  /** `useRedis`: the backend this engine installed (closed with it) and its first sync. */
  private redis: { backend: { close(): Promise<void> }; joined: Promise<void> } | null = null
  private readonly argv: readonly string[] | null
  private rootDir: string | undefined
  private signalsInstalled = false
  /** @internal Sockets handed to an app or proxy by an upgrade (WebSocket); cut at the shutdown deadline. */
  readonly upgraded = new Set<Duplex>()
  private observer: Observer | null = null
  private wsHub: WsHub | null = null
  /** `enableSsl` files (tls.ts); null: plain HTTP. */
  private tlsFiles: TlsFiles | null = null
  private h2Limits: H2Limits = DEFAULT_H2_LIMITS
  private stopTlsReload: (() => void) | null = null
  private forward: HttpsForward | null = null
  /** The port `enableForward` listens on, once listening. */
  forwardPort: number | undefined = undefined
  /** Response compression (compression.ts), on by default; null when `setCompression(false)`. */
  compression: CompressionSettings | null = new CompressionSettings()

  /** `setWorkerCriticalPoint`: replace a worker stuck above a CPU threshold (cluster/critical-point.ts). */
  private criticalPoint: CriticalPoint | null = null

  constructor(options: EngineOptions = {}) {
    this.rootDir = options.root === undefined ? undefined : resolve(options.root)
    this.argv = options.argv ?? null
    // the serve script's engine in a worker: title and error reports to the master from the start
    if (this.argv !== null && isSkitaiWorker()) startWorkerProcess()
  }

  // ---- mounting -------------------------------------------------------------------------------------

  /**
   * Mount an app, a static directory, a module path (`'./app.ts#app'`) or `'@alias'` at a point.
   * The longest matching point wins; at the same point a static directory is tried before an app.
   */
  mount(point: string, target: MountableApp | string, options: MountOptions = {}): this {
    if (this.prepared !== null) throw new Error(`mount('${point}'): mounts must be made before run()/listen()`)
    const p = normalizePoint(point)
    const hosts = normalizeHosts(options.host)
    const where = `mount('${point}'${hosts ? `, host ${hosts.join(' ')}` : ''})`
    if (typeof target === 'string') {
      if (target.startsWith('@')) {
        this.addApp(p, hosts, target, aliasTarget(target), null)
        return this
      }
      const hash = target.indexOf('#')
      const file = this.abspath(hash < 0 ? target : target.slice(0, hash))
      const exportName = hash < 0 ? undefined : target.slice(hash + 1) || undefined
      let isDir = false
      try {
        isDir = statSync(file).isDirectory()
      } catch {
        throw new Error(`${where}: ${target} does not exist (looked for ${file})`)
      }
      if (isDir && hash < 0) {
        const handler = createStaticHandler(file, { maxAge: this.maxAge, compression: () => this.compression })
        for (const e of this.mounts.entry(p, hosts)) {
          if (e.static !== null) throw new Error(`${where}: the directory ${e.staticSource} is already mounted there`)
          e.static = handler
          e.staticSource = target
        }
        return this
      }
      this.addApp(p, hosts, target, null, { file, exportName })
      return this
    }
    this.addApp(p, hosts, describe(target), toAppTarget(target, where, this), null)
    return this
  }

  private addApp(
    point: string,
    hosts: readonly string[] | null,
    source: string,
    target: AppTarget | null,
    module: MountRecord['module'],
  ): void {
    const entries = this.mounts.entry(point, hosts)
    for (const e of entries) {
      if (e.appSource !== '') {
        throw new Error(`mount('${point || '/'}'): ${e.appSource} is already mounted there; cannot add ${source}`)
      }
      e.app = target
      e.appSource = source
    }
    this.records.push({ point, hosts, source, entries, module, target })
  }

  /** Import module mounts and tell Skitai apps their mount points; run()/listen() and the test client call it. */
  prepare(): Promise<void> {
    if (this.prepared === null) this.prepared = this.doPrepare()
    return this.prepared
  }

  private async doPrepare(): Promise<void> {
    if (this.redis !== null) await this.redis.joined
    // the shared-state backend is in place by now (run() installs the cluster one): initial g values go out
    this.sharedG.goLive()
    for (const r of this.records) {
      if (r.module === null) continue
      const mod = await import(pathToFileURL(r.module.file).href)
      const name = r.module.exportName
      const value = name !== undefined ? mod[name] : (mod.default ?? mod.app)
      if (value === undefined) {
        throw new Error(
          `mount('${r.point || '/'}', '${r.source}'): the module has no ${name !== undefined ? `export '${name}'` : "default export or export named 'app'"}`,
        )
      }
      r.target = toAppTarget(value, `mount('${r.point || '/'}', '${r.source}')`, this)
      for (const e of r.entries) e.app = r.target
    }
    for (const r of this.records) {
      const app = r.target?.app
      if (app) await app.mount({ point: r.point, hosts: r.hosts, engine: this, log: this.serverLine })
    }
  }

  /** All mounted Skitai apps by name. */
  get apps(): Readonly<Record<string, SkitaiApp>> {
    const out: Record<string, SkitaiApp> = {}
    for (const r of this.records) {
      const app = r.target?.app
      if (app?.name) out[app.name] = app
    }
    return out
  }

  mountPointOf(app: SkitaiApp): string | undefined {
    return this.records.find((r) => r.target?.app === app)?.point
  }

  /** `skitai.alias('@name', skitai.PROTO_HTTP, members, options)` — a backend cluster (@skitai/was). */
  alias(name: string, type: AliasType, members: string | string[], options?: AliasOptions): Cluster {
    return registerAlias(name, type, members, options)
  }

  /** `skitai.setMaxRcache(300)`: bound the `was` result cache (LRU, default 100 entries; was README "Caching"). */
  setMaxRcache(entries: number): this {
    setMaxRcache(entries)
    return this
  }

  /** `skitai.enableCachefs({ memmax })`: cache backend HTTP responses by their own Cache-Control (§3.4). */
  enableCachefs(options?: CachefsOptions): this {
    enableCachefs(options)
    return this
  }

  /** `skitai.deflu('tables.users', …)`: declare the model keys of `was.setlu/getlu` (was README "Model keys: `deflu`/`setlu`/`getlu`"). */
  deflu(...keys: string[]): this {
    deflu(...keys)
    return this
  }

  /**
   * `skitai.registerG('DB_STATUS', 'MODE')` or `skitai.registerG({ DB_STATUS: 0 })` (with initial values)
   * before `run()`: names of `skitai.g` shared by every worker (README "Shared state").
   */
  registerG(...names: Array<string | Record<string, unknown>>): this {
    if (names.length === 0) throw new TypeError('registerG: give at least one name')
    for (const n of names) {
      if (typeof n === 'string') this.sharedG.register([n])
      else if (n !== null && typeof n === 'object')
        for (const [k, v] of Object.entries(n)) this.sharedG.register([k], v)
      else throw new TypeError(`registerG: give names or { NAME: initial }, got ${String(n)}`)
    }
    return this
  }

  /** Values of the names declared by `registerG`, the same in every worker: `skitai.g.DB_STATUS = 4`. */
  get g(): Record<string, any> {
    return this.sharedG.proxy
  }

  /**
   * `skitai.useRedis('redis://10.0.0.5:6379/0')` or `useRedis('@alias')` (a DB_REDIS alias) before `run()`:
   * `skitai.g`, model keys, broadcasts and revoked sessions shared by every server on that Redis (use-redis.ts).
   */
  useRedis(target: string, options: UseRedisOptions = {}): this {
    if (this.prepared !== null) throw new Error('useRedis: call it before run()/listen()')
    void this.redis?.backend.close()
    this.redis = installRedis(target, options, (level, m) => this.log.serverLog(level, m))
    return this
  }

  /**
   * `skitai.setWorkerCriticalPoint({ cpuPercent: 90, continuous: 3, interval: 20 })` before `run()`: a
   * worker above `cpuPercent` of a core for `continuous` reports `interval` seconds apart is replaced
   * gracefully (README "Workers").
   */
  setWorkerCriticalPoint(options: Partial<CriticalPoint> = {}): this {
    this.criticalPoint = criticalPointOf(options)
    return this
  }

  /** Listen to `skitai.g` changes made in any worker. */
  onGChange(fn: (name: string, value: unknown) => void): () => void {
    return this.sharedG.onChange(fn)
  }

  // ---- settings ---------------------------------------------------------------------------------------

  pref(): Prefs {
    return this.prefs
  }

  /** Idle seconds a keep-alive connection is kept between requests (default 30). */
  setKeepAlive(seconds: number): this {
    this.keepAliveMs = secondsToMs(seconds, 'setKeepAlive')
    if (this.server) setKeepAliveOf(this.server, this.keepAliveMs)
    return this
  }

  /** Seconds a client may stay silent while sending its request or receiving the response (default 30). */
  setRequestTimeout(seconds: number): this {
    this.requestTimeoutMs = secondsToMs(seconds, 'setRequestTimeout')
    if (this.server) setRequestTimeoutOf(this.server, this.requestTimeoutMs)
    return this
  }

  /**
   * Seconds a request body may take in all, counted from the end of its head (default 300, 0: none);
   * past it the request gets 408 and its connection is closed. `pref().minBodyRate` catches a trickle
   * sooner.
   */
  setBodyTimeout(seconds: number): this {
    this.bodyTimeoutMs = secondsToMs(seconds, 'setBodyTimeout')
    if (this.server) deadlinesChanged(this.server)
    return this
  }

  /**
   * Seconds a handler has to start its response once the request is in (default 60, 0: none); past it
   * the request gets 503. A response that has started (streaming) and WebSocket sessions are exempt.
   */
  setHandlerTimeout(seconds: number): this {
    this.handlerTimeoutMs = secondsToMs(seconds, 'setHandlerTimeout')
    if (this.server) deadlinesChanged(this.server)
    return this
  }

  /** Seconds a client has to send the complete request head (default 20). */
  setHeadersTimeout(seconds: number): this {
    this.headersTimeoutMs = secondsToMs(seconds, 'setHeadersTimeout')
    if (this.server) this.server.headersTimeout = this.headersTimeoutMs
    return this
  }

  /** Seconds a graceful shutdown (SIGTERM, SIGINT, `close()`) gives requests in flight before it cuts them (default 10). */
  setShutdownTimeout(seconds: number): this {
    if (!(seconds >= 0) || !Number.isFinite(seconds))
      throw new TypeError(`setShutdownTimeout: seconds must be a number >= 0, got ${seconds}`)
    this.shutdownTimeout = seconds
    return this
  }

  /** Retry-After seconds of the 503 answered when more than `pref().maxInFlight` requests are in flight. */
  set503EstimatedTimeout(seconds: number): this {
    if (!(seconds >= 0)) throw new TypeError(`set503EstimatedTimeout: seconds must be >= 0, got ${seconds}`)
    this.retryAfter = Math.ceil(seconds)
    return this
  }

  /**
   * Serve TLS on the run()/listen() port (h2 and http/1.1 by ALPN); the files are re-read on SIGHUP.
   * Paths are relative to the script's directory.
   */
  enableSsl(certFile: string, keyFile: string, passphrase?: string): this {
    if (this.server !== null) throw new Error('enableSsl: call it before run()/listen()')
    const files: TlsFiles = { cert: this.abspath(certFile), key: this.abspath(keyFile), passphrase }
    readTlsFiles(files) // a missing file is an error now, not at the first connection
    this.tlsFiles = files
    return this
  }

  /** Whether enableSsl was called. */
  get tls(): boolean {
    return this.tlsFiles !== null
  }

  /** HTTP/2 limits (README "HTTP/2 limits"): maxConcurrentStreams, maxHeaderListSize, maxResetsPerSecond… */
  setHttp2Limits(limits: Partial<H2Limits>): this {
    this.h2Limits = mergeH2Limits(this.h2Limits, limits)
    return this
  }

  /**
   * Answer plain HTTP on `fromPort` with 301 to the same host, path and query on https at `toPort`
   * (forward.ts); 0 as `toPort` means the port the TLS server listens on.
   */
  enableForward(fromPort = 80, toPort = 443): this {
    if (this.server !== null) throw new Error('enableForward: call it before run()/listen()')
    this.forward = new HttpsForward(fromPort, toPort)
    return this
  }

  /**
   * gzip/brotli of compressible responses over `minSize` (README "Compression"); `false` turns it off.
   * Options not given keep their defaults (level 6, brotliLevel 4, minSize 2048, text/JSON/JS/XML/SVG).
   */
  setCompression(options: CompressionOptions | false): this {
    this.compression = options === false ? null : new CompressionSettings(options)
    return this
  }

  setMaxAge(prefix: string, seconds: number): this {
    this.maxAge.set(prefix, seconds)
    return this
  }

  /**
   * `skitai.enableStatus('/__status__', { allow: ['127.0.0.1'] })`: the status page (README "Status page
   * and metrics"), HTML or JSON by Accept, summed over all workers.
   */
  enableStatus(path = '/__status__', options: ObserveOptions = {}): this {
    ;(this.observer ??= new Observer(this)).enable('status', path, options)
    return this
  }

  /** `skitai.enableMetrics('/__metrics__', { allow })`: Prometheus text, summed over all workers. */
  enableMetrics(path = '/__metrics__', options: ObserveOptions = {}): this {
    ;(this.observer ??= new Observer(this)).enable('metrics', path, options)
    return this
  }

  /** The status page's figures as an object (`was.status()`); request counting starts with the first call. */
  status(): Promise<StatusReport> {
    return (this.observer ??= new Observer(this)).status()
  }

  /** The server log as a function, handed to mounted apps (their errors land in server.log with file logging). */
  private readonly serverLine = (line: string, level: 'info' | 'warn' | 'error'): void =>
    this.log.serverLog(level, line)

  /** Write request.log and server.log into `dir` (default: `logs` beside the script). */
  enableFileLogging(dir?: string): this {
    this.log.toFiles(this.abspath(dir ?? 'logs'))
    return this
  }

  /** Silence the access log for path prefixes (`'/static/'`) or suffixes (`'*.css'`); `'/'` silences all. */
  logOff(...paths: string[]): this {
    this.log.logOff(...paths)
    return this
  }

  enableAccessLog(on = true): this {
    this.log.enable(on)
    return this
  }

  /** The script's directory (or the engine's root). */
  get root(): string {
    if (this.rootDir === undefined) {
      const script = this.argv !== null ? process.argv[1] : undefined
      this.rootDir = script ? dirname(resolve(script)) : process.cwd()
    }
    return this.rootDir
  }

  abspath(...parts: string[]): string {
    return resolve(this.root, ...parts)
  }

  /** `skitai.addOption('-q', '--qtran', 'help')`; `--name=VALUE` for an option with a value. */
  addOption(short: string | undefined | null, long: string, help = ''): this {
    const spec = makeOption(short, long, help)
    if (this.customOptions.some((s) => s.long === spec.long))
      throw new Error(`addOption: ${spec.long} is defined twice`)
    this.customOptions.push(spec)
    return this
  }

  /** Custom options given on the command line, by long name without dashes. */
  get options(): Record<string, string | true> {
    return parseArgs(this.argv ?? [], this.customOptions).options
  }

  // ---- serving ----------------------------------------------------------------------------------------

  /** Listen (after preparing mounts); resolves to the bound port. */
  async listen(options: ListenOptions = {}): Promise<number> {
    await this.prepare()
    const server = this.server ?? this.createServer(options.http2 !== false)
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, options.address ?? '127.0.0.1', () => {
        server.removeListener('error', reject)
        resolveListen()
      })
    })
    const port = (server.address() as AddressInfo).port
    if (this.forward !== null && this.forwardPort === undefined)
      this.forwardPort = await this.forward.listen(options.address ?? '127.0.0.1', port)
    return port
  }

  /**
   * The serve script's entry: command-line options override `options`; `--help` prints the options and
   * exits; SIGTERM/SIGINT shut down gracefully. Resolves to the bound port.
   */
  async run(options: RunOptions = {}): Promise<number> {
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
    if (args?.command !== undefined) return runDaemonCommand(this, args, options.name)
    if (args) applyLogOptions(this, args)
    const devel = args?.devel === true || options.devel === true
    this.debug = devel || this.debug
    const port = args?.port ?? options.port ?? 5000
    const address = args?.address ?? options.address ?? '0.0.0.0'
    const workers = args?.workers ?? options.workers ?? 1
    if (!Number.isInteger(workers) || workers < 1)
      throw new TypeError(`run(): workers must be an integer >= 1, got ${workers}`)
    const scheme = this.tls ? 'https' : 'http'
    // more than one worker, or the reloader: this process becomes the master (cluster/master.ts)
    if (this.argv !== null && cluster.isPrimary && (workers > 1 || devel || this.wantsReloader())) {
      await this.redis?.backend.close() // the workers talk to Redis; the master does not serve
      const up = await new Master({
        name: options.name ?? scriptName(),
        workers,
        script: process.argv[1] as string,
        args: process.argv.slice(2),
        root: this.root,
        reloader: devel || this.wantsReloader(),
        criticalPoint: this.criticalPoint,
        graceSeconds: 10,
        listening: `listening on ${scheme}://${address}:${port}`,
        log: (level, m) => this.log.serverLog(level, m),
        flush: () => this.log.flush(),
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
        return await this.listen({ port, address, http2: options.http2 })
      } catch (e: any) {
        this.log.serverLog('error', `skitai: cannot listen on ${address}:${port}: ${e?.code ?? e?.message ?? e}`)
        reportListenFailure(`cannot listen on ${address}:${port}: ${e?.code ?? e?.message ?? e}`)
        this.log.flush()
        throw e
      }
    }
    if (this.argv !== null && isSkitaiWorker()) {
      bound = await serveAsWorker(this, listen, {
        usesRedis: this.redis !== null,
        criticalPoint: this.criticalPoint,
        wantsReloader: () => this.wantsReloader(),
      })
    } else bound = await listen()
    this.log.serverLog(
      'info',
      `skitai: listening on ${this.tls ? 'https' : 'http'}://${address}:${bound}${options.http2 === false ? '' : ' (HTTP/1.1 and HTTP/2)'} (pid ${process.pid})`,
    )
    if (this.forwardPort !== undefined)
      this.log.serverLog('info', `skitai: forwarding http://${address}:${this.forwardPort} to https (301)`)
    this.log.flush()
    reportListening(`${this.tls ? 'https' : 'http'}://${address}:${bound}`)
    return bound
  }

  /** An app mounted as an object asked for the reloader (`app.useReloader = true`, Saddle). */
  private wantsReloader(): boolean {
    return this.records.some(
      (r) => (r.target?.app as { useReloader?: unknown } | null | undefined)?.useReloader === true,
    )
  }

  /** Shutdown signals, and errors escaping a request's promise chain logged instead of exiting (uncaught.ts). */
  private installSignals(): void {
    if (this.signalsInstalled) return
    this.signalsInstalled = true
    installShutdownSignals(this)
    installUncaughtHandlers(this)
  }

  private createServer(http2: boolean): Server {
    const server = createHttpServer(this, {
      keepAliveMs: this.keepAliveMs,
      headersTimeoutMs: this.headersTimeoutMs,
      requestTimeoutMs: this.requestTimeoutMs,
      http2: http2 ? this.h2Limits : null,
      tls: this.tlsFiles,
    })
    this.server = server
    if (this.tlsFiles !== null)
      this.stopTlsReload = reloadTlsOnSighup(server as any, this.tlsFiles, (level, m) => this.log.serverLog(level, m))
    return server
  }

  /** @internal the WebSocket sessions (ws-hub.ts), made on the first handshake */
  get ws(): WsHub {
    return (this.wsHub ??= new WsHub(this))
  }

  trackUpgraded(socket: Duplex): void {
    this.upgraded.add(socket)
    socket.once('close', () => this.upgraded.delete(socket))
  }

  /** The request handler as a Node listener (for in-process injection). */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => handleRequest(this, req, res)

  /**
   * Graceful shutdown (README "Command line and shutdown"): stop accepting, answer every request already
   * received (the last answer on each keep-alive connection says `Connection: close`), close connections
   * as they become idle, cut what is left after `graceSeconds` (default: `setShutdownTimeout`, 10 s),
   * then unmount apps (`beforeUmount`/`umounted`) and flush logs. Calling it again returns the same promise.
   */
  close(graceSeconds = this.shutdownTimeout): Promise<void> {
    if (this.closed === null) this.closed = this.doClose(graceSeconds)
    return this.closed
  }

  private async doClose(graceSeconds: number): Promise<void> {
    this.closing = true
    this.stopTlsReload?.()
    const server = this.server
    // WebSocket sessions get their close frame (1001) while the HTTP requests in flight finish
    this.wsHub?.closeAll()
    // at once, not after the forward port has closed: the drain's first turn must be the next one
    const drained = server?.listening ? drainAndClose(this, server, graceSeconds, this.upgraded) : undefined
    await Promise.all([this.forward?.close(), drained])
    for (const r of this.records) {
      const app = r.target?.app
      if (!app?.unmount) continue
      try {
        await app.unmount()
      } catch (e) {
        this.log.appError(e, '-', `unmount ${r.source}`)
      }
    }
    await this.redis?.backend.close()
    this.observer?.close()
    await this.log.close()
  }

  /**
   * In process for an app, listener, fetch handler or engine (none given: this engine); a launched
   * server for a script path (relative to this engine's root, the serve script's directory); a running
   * server for `{ port }`.
   */
  testClient(target?: Engine | MountableApp): TestClient
  testClient(script: string, options?: LaunchOptions): TestClient
  testClient(server: { port: number; host?: string; https?: boolean }): TestClient
  testClient(target?: any, options?: LaunchOptions): TestClient {
    if (target === undefined) return testClient(this)
    if (typeof target === 'string') return testClient(target, { ...options, root: this.root })
    return testClient(target)
  }

  // ---- errors -----------------------------------------------------------------------------------------

  /**
   * A handler threw or rejected, missed its deadline, or let an error escape: log it (5xx) and answer with
   * the error page. An app still holding the request is told once that the engine answered for it.
   */
  handlerFailed(err: unknown, req: IncomingMessage, res: ServerResponse, ctx: EngineRequestContext | null): void {
    writeError(res, this.renderFailure(err, req, ctx))
    const holder = ctx?.holder ?? null
    if (holder === null) return
    ctx!.holder = null
    try {
      holder.abandon(err)
    } catch (e) {
      this.log.appError(e, ctx!.gtxnid, 'releasing an abandoned request')
    }
  }

  handlerError(err: unknown, req: IncomingMessage, res: ServerResponse): RenderedError {
    return this.renderFailure(err, req, (res as SkitaiResponse).skitaiCtx ?? null)
  }

  private renderFailure(err: unknown, req: IncomingMessage, ctx: EngineRequestContext | null): RenderedError {
    return renderFailure(this.log, this.debug, err, req, ctx)
  }
}

function describe(target: unknown): string {
  if (typeof target === 'function') return `listener ${target.name || '(anonymous)'}`
  const name = (target as any)?.name
  return typeof name === 'string' && name ? `app ${name}` : 'app'
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

/**
 * `testClient(app | listener | {fetch} | engine)` — in process; `testClient('./serve.ts', { port })` —
 * launches the script with the `skitai` command; `testClient({ port })` — a server already running.
 * A relative script path is resolved against `root` (the calling script's directory for `skitai.testClient`).
 */
export function testClient(target: Engine | MountableApp): TestClient
export function testClient(script: string, options?: LaunchOptions & { root?: string }): TestClient
export function testClient(server: { port: number; host?: string; https?: boolean }): TestClient
export function testClient(target: any, options: LaunchOptions & { root?: string } = {}): TestClient {
  if (typeof target === 'string' || target instanceof Engine) return openTestClient(target, options)
  if (
    typeof target === 'object' &&
    target !== null &&
    !isSkitaiApp(target) &&
    !isFetchHandler(target) &&
    typeof target.port === 'number'
  ) {
    return openTestClient({ port: target.port, host: target.host, https: target.https === true })
  }
  // an app, listener or fetch handler: on an engine of its own, at '/', without an access log
  const engine = new Engine()
  engine.enableAccessLog(false)
  engine.mount('/', target)
  return openTestClient(engine)
}
