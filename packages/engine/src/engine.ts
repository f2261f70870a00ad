import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { dirname, resolve } from 'node:path'
import type { AliasOptions, AliasType, CachefsOptions, Cluster } from '@skitai/was'
import { deflu, enableCachefs, registerAlias, setMaxRcache } from '@skitai/was'
import { addOption, makeOption } from './cli-options.js'
import type { CriticalPoint } from './cluster/critical-point.js'
import { isSkitaiWorker, startWorkerProcess } from './cluster/worker.js'
import type { CompressionOptions } from './compression.js'
import type { EngineLike, SkitaiApp } from './contract.js'
import { EngineRunner } from './engine-run.js'
import { EngineSettings } from './engine-settings.js'
import { EngineState } from './engine-state.js'
import { answerFailure, type RenderedError, renderFailure } from './error-page.js'
import type { H2Limits } from './http2-limits.js'
import { MountRegistry } from './mount-registry.js'
import type { EngineOptions, ListenOptions, MountOptions, Prefs, RunOptions } from './options.js'
import { handleRequest } from './pipeline.js'
import type { EngineRequestContext } from './request-context.js'
import type { SkitaiResponse } from './response.js'
import { SharedG } from './shared-g.js'
import type { StatusReport } from './status/figures.js'
import { type ObserveOptions, Observer } from './status/observe.js'
import { type LaunchOptions, openTestClient, type TestClient } from './test-client.js'
import { type ErrorReporter, isServerAddress, type MountableApp } from './targets.js'
import { installRedis, type UseRedisOptions } from './use-redis.js'
import { WsHub } from './ws-hub.js'

export type { EngineOptions, ListenOptions, MountOptions, Prefs, RunOptions } from './options.js'

/**
 * One Skitai server: its mount table, settings, HTTP server and logs. `skitai` (the default export) is
 * an Engine driven by the serve script; tests make their own with `new Engine()`. The class is the
 * public face; the work is done by its parts: the mounts (mount-registry.ts), the server settings
 * (engine-settings.ts), starting and stopping (engine-run.ts), the request path (pipeline.ts).
 */
export class Engine extends EngineState implements EngineLike, ErrorReporter {
  /** @internal what was mounted (mount-registry.ts) */
  readonly registry = new MountRegistry(this.mounts, this)
  /** @internal the server's timeouts, TLS, HTTP/2 limits, forward port, critical point (engine-settings.ts) */
  readonly settings = new EngineSettings(this)
  private readonly runner: EngineRunner
  private readonly sharedG = new SharedG()
  private prepared: Promise<void> | null = null
  private rootDir: string | undefined

  constructor(options: EngineOptions = {}) {
    super()
    this.rootDir = options.root === undefined ? undefined : resolve(options.root)
    this.runner = new EngineRunner(this, options.argv ?? null)
    // the serve script's engine in a worker: title and error reports to the master from the start
    if (this.runner.argv !== null && isSkitaiWorker()) startWorkerProcess()
  }

  // ---- mounting -------------------------------------------------------------------------------------

  /**
   * Mount an app, a static directory, a module path (`'./app.ts#app'`) or `'@alias'` at a point.
   * The longest matching point wins; at the same point a static directory is tried before an app.
   */
  mount(point: string, target: MountableApp | string, options: MountOptions = {}): this {
    if (this.prepared !== null) throw new Error(`mount('${point}'): mounts must be made before run()/listen()`)
    this.registry.mount(point, target, options)
    return this
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
    await this.registry.prepare(this.serverLine)
  }

  /** All mounted Skitai apps by name. */
  get apps(): Readonly<Record<string, SkitaiApp>> {
    return this.registry.apps
  }

  mountPointOf(app: SkitaiApp): string | undefined {
    return this.registry.mountPointOf(app)
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

  /** `skitai.enableCachefs({ memmax })`: cache backend HTTP responses by their own Cache-Control (was README "Caching"). */
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
    this.sharedG.registerAll(names)
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
    this.settings.setWorkerCriticalPoint(options)
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
    this.settings.setKeepAlive(seconds)
    return this
  }

  /** Seconds a client may stay silent while sending its request or receiving the response (default 30). */
  setRequestTimeout(seconds: number): this {
    this.settings.setRequestTimeout(seconds)
    return this
  }

  /**
   * Seconds a request body may take in all, counted from the end of its head (default 300, 0: none);
   * past it the request gets 408 and its connection is closed. `pref().minBodyRate` catches a trickle
   * sooner.
   */
  setBodyTimeout(seconds: number): this {
    this.settings.setBodyTimeout(seconds)
    return this
  }

  /**
   * Seconds a handler has to start its response once the request is in (default 60, 0: none); past it
   * the request gets 503. A response that has started (streaming) and WebSocket sessions are exempt.
   */
  setHandlerTimeout(seconds: number): this {
    this.settings.setHandlerTimeout(seconds)
    return this
  }

  /** Seconds a client has to send the complete request head (default 20). */
  setHeadersTimeout(seconds: number): this {
    this.settings.setHeadersTimeout(seconds)
    return this
  }

  /** Seconds a graceful shutdown (SIGTERM, SIGINT, `close()`) gives requests in flight before it cuts them (default 10). */
  setShutdownTimeout(seconds: number): this {
    this.settings.setShutdownTimeout(seconds)
    return this
  }

  /** Retry-After seconds of the 503 answered when more than `pref().maxInFlight` requests are in flight. */
  set503EstimatedTimeout(seconds: number): this {
    this.settings.set503EstimatedTimeout(seconds)
    return this
  }

  /**
   * Serve TLS on the run()/listen() port (h2 and http/1.1 by ALPN); the files are re-read on SIGHUP.
   * Paths are relative to the script's directory.
   */
  enableSsl(certFile: string, keyFile: string, passphrase?: string): this {
    this.settings.enableSsl(certFile, keyFile, passphrase)
    return this
  }

  /** Whether enableSsl was called. */
  get tls(): boolean {
    return this.settings.tlsFiles !== null
  }

  /** HTTP/2 limits (README "HTTP/2 limits"): maxConcurrentStreams, maxHeaderListSize, maxResetsPerSecond… */
  setHttp2Limits(limits: Partial<H2Limits>): this {
    this.settings.setHttp2Limits(limits)
    return this
  }

  /**
   * Answer plain HTTP on `fromPort` with 301 to the same host, path and query on https at `toPort`
   * (forward.ts); 0 as `toPort` means the port the TLS server listens on.
   */
  enableForward(fromPort = 80, toPort = 443): this {
    this.settings.enableForward(fromPort, toPort)
    return this
  }

  /**
   * gzip/brotli of compressible responses over `minSize` (README "Compression"); `false` turns it off.
   * Options not given keep their defaults (level 6, brotliLevel 4, minSize 2048, text/JSON/JS/XML/SVG).
   */
  setCompression(options: CompressionOptions | false): this {
    this.settings.setCompression(options)
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
      const script = this.runner.argv !== null ? process.argv[1] : undefined
      this.rootDir = script ? dirname(resolve(script)) : process.cwd()
    }
    return this.rootDir
  }

  abspath(...parts: string[]): string {
    return resolve(this.root, ...parts)
  }

  /** `skitai.addOption('-q', '--qtran', 'help')`; `--name=VALUE` for an option with a value. */
  addOption(short: string | undefined | null, long: string, help = ''): this {
    addOption(this.runner.customOptions, makeOption(short, long, help))
    return this
  }

  /** Custom options given on the command line, by long name without dashes. */
  get options(): Record<string, string | true> {
    return this.runner.options
  }

  // ---- serving ----------------------------------------------------------------------------------------

  /** Listen (after preparing mounts); resolves to the bound port. */
  listen(options: ListenOptions = {}): Promise<number> {
    return this.runner.listen(options)
  }

  /**
   * The serve script's entry: command-line options override `options`; `--help` prints the options and
   * exits; SIGTERM/SIGINT shut down gracefully. Resolves to the bound port.
   */
  run(options: RunOptions = {}): Promise<number> {
    return this.runner.run(options)
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
    return this.runner.close(graceSeconds)
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
    answerFailure(this.log, this.debug, err, req, res, ctx)
  }

  handlerError(err: unknown, req: IncomingMessage, res: ServerResponse): RenderedError {
    return renderFailure(this.log, this.debug, err, req, (res as SkitaiResponse).skitaiCtx ?? null)
  }
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
  if (isServerAddress(target))
    return openTestClient({ port: target.port, host: target.host, https: target.https === true })
  // an app, listener or fetch handler: on an engine of its own, at '/', without an access log
  const engine = new Engine()
  engine.enableAccessLog(false)
  engine.mount('/', target)
  return openTestClient(engine)
}
