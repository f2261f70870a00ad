import type { Server } from 'node:http'
import { type CompressionOptions, CompressionSettings } from './compression.js'
import { type CriticalPoint, criticalPointOf } from './cluster/critical-point.js'
import { HttpsForward } from './forward.js'
import { DEFAULT_H2_LIMITS, type H2Limits, mergeH2Limits } from './http2-limits.js'
import { secondsToMs } from './options.js'
import { deadlinesChanged, type ServerSettings, setKeepAliveOf, setRequestTimeoutOf } from './server.js'
import { readTlsFiles, type TlsFiles } from './tls.js'

/**
 * The fields of the engine its setters write (engine.ts makes the settings with the Engine: no import
 * of the class). They stay plain fields of the engine because the request path reads them.
 */
export interface ConfigurableEngine {
  keepAliveMs: number
  bodyTimeoutMs: number
  handlerTimeoutMs: number
  shutdownTimeout: number
  retryAfter: number
  compression: CompressionSettings | null
  readonly server: Server | null
  abspath(...parts: string[]): string
}

/**
 * The serve script's settings of the server (`setKeepAlive`, `enableSsl`, `setHttp2Limits` …, each
 * documented on the Engine method of the same name): a setter checks its value and applies it to a
 * server already listening. What only the server's creation, `run()` and the workers read is kept here.
 */
export class EngineSettings {
  requestTimeoutMs = 30_000
  headersTimeoutMs = 20_000
  /** `enableSsl` files (tls.ts); null: plain HTTP. */
  tlsFiles: TlsFiles | null = null
  h2Limits: H2Limits = DEFAULT_H2_LIMITS
  /** `enableForward`: the plain-HTTP port that answers 301 to https (forward.ts). */
  forward: HttpsForward | null = null
  /** `setWorkerCriticalPoint`: replace a worker stuck above a CPU threshold (cluster/critical-point.ts). */
  criticalPoint: CriticalPoint | null = null

  constructor(private readonly engine: ConfigurableEngine) {}

  setKeepAlive(seconds: number): void {
    const e = this.engine
    e.keepAliveMs = secondsToMs(seconds, 'setKeepAlive')
    if (e.server) setKeepAliveOf(e.server, e.keepAliveMs)
  }

  setRequestTimeout(seconds: number): void {
    this.requestTimeoutMs = secondsToMs(seconds, 'setRequestTimeout')
    if (this.engine.server) setRequestTimeoutOf(this.engine.server, this.requestTimeoutMs)
  }

  setBodyTimeout(seconds: number): void {
    this.engine.bodyTimeoutMs = secondsToMs(seconds, 'setBodyTimeout')
    if (this.engine.server) deadlinesChanged(this.engine.server)
  }

  setHandlerTimeout(seconds: number): void {
    this.engine.handlerTimeoutMs = secondsToMs(seconds, 'setHandlerTimeout')
    if (this.engine.server) deadlinesChanged(this.engine.server)
  }

  setHeadersTimeout(seconds: number): void {
    this.headersTimeoutMs = secondsToMs(seconds, 'setHeadersTimeout')
    if (this.engine.server) this.engine.server.headersTimeout = this.headersTimeoutMs
  }

  setShutdownTimeout(seconds: number): void {
    if (!(seconds >= 0) || !Number.isFinite(seconds))
      throw new TypeError(`setShutdownTimeout: seconds must be a number >= 0, got ${seconds}`)
    this.engine.shutdownTimeout = seconds
  }

  set503EstimatedTimeout(seconds: number): void {
    if (!(seconds >= 0)) throw new TypeError(`set503EstimatedTimeout: seconds must be >= 0, got ${seconds}`)
    this.engine.retryAfter = Math.ceil(seconds)
  }

  enableSsl(certFile: string, keyFile: string, passphrase: string | undefined): void {
    const e = this.engine
    if (e.server !== null) throw new Error('enableSsl: call it before run()/listen()')
    const files: TlsFiles = { cert: e.abspath(certFile), key: e.abspath(keyFile), passphrase }
    readTlsFiles(files) // a missing file is an error now, not at the first connection
    this.tlsFiles = files
  }

  setHttp2Limits(limits: Partial<H2Limits>): void {
    this.h2Limits = mergeH2Limits(this.h2Limits, limits)
  }

  enableForward(fromPort: number, toPort: number): void {
    if (this.engine.server !== null) throw new Error('enableForward: call it before run()/listen()')
    this.forward = new HttpsForward(fromPort, toPort)
  }

  setCompression(options: CompressionOptions | false): void {
    this.engine.compression = options === false ? null : new CompressionSettings(options)
  }

  setWorkerCriticalPoint(options: Partial<CriticalPoint>): void {
    this.criticalPoint = criticalPointOf(options)
  }

  /** The timeouts, HTTP/2 limits and TLS files the server is created with (server.ts). */
  serverSettings(http2: boolean): ServerSettings {
    return {
      keepAliveMs: this.engine.keepAliveMs,
      headersTimeoutMs: this.headersTimeoutMs,
      requestTimeoutMs: this.requestTimeoutMs,
      http2: http2 ? this.h2Limits : null,
      tls: this.tlsFiles,
    }
  }
}
