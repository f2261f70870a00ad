// What the browser tests share: an example app served by an engine on 127.0.0.1 and headless Chromium
// (playwright-core, /usr/bin/chromium — .ci/run installs it).
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { Engine, type MountableApp } from '@skitai/engine'
import { type Browser, chromium } from 'playwright-core'

const CHROMIUM = '/usr/bin/chromium'

export interface BrowserKit {
  base: string
  browser: Browser
  close(): Promise<void>
}

export interface BrowserKitOptions {
  /** Serve over TLS with this certificate (the browser then ignores certificate errors: it is self-signed). */
  ssl?: { cert: string; key: string }
  /** More mounts (static directories…) before the app's. */
  mount?: (engine: Engine) => void
}

export async function serveInBrowser(app: MountableApp, options: BrowserKitOptions = {}): Promise<BrowserKit> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is required (apt-get install chromium; .ci/run installs it)`)
  const engine = new Engine({ argv: [] })
  engine.enableAccessLog(false)
  if (options.ssl !== undefined) engine.enableSsl(options.ssl.cert, options.ssl.key)
  options.mount?.(engine)
  engine.mount('/', app)
  const port = await engine.listen({ port: 0, address: '127.0.0.1' })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      ...(options.ssl === undefined ? [] : ['--ignore-certificate-errors']),
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
  return {
    base: `${options.ssl === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    browser,
    async close() {
      await browser.close()
      await engine.close(1)
    },
  }
}
