// Headless Chromium (playwright-core, /usr/bin/chromium, --ignore-certificate-errors) loads a page and its
// assets over https from the engine: every entry of performance.getEntries() reports nextHopProtocol 'h2';
// the page sends 103 Early Hints, its script comes from a precompressed app.js.br sibling, and a fetch of
// a large JSON answer arrives compressed.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import zlib from 'node:zlib'
import { Saddle } from '@skitai/saddle'
import { makeCert } from '../packages/engine/test/tls-cert.js'
import { type BrowserKit, serveInBrowser } from './browser-kit.js'

let kit: BrowserKit
let dir: string

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skitai-h2page-'))
  const js = `document.title = 'script ran';\n${'// padding so that the file is worth compressing\n'.repeat(80)}`
  writeFileSync(join(dir, 'app.js'), js)
  writeFileSync(join(dir, 'app.js.br'), zlib.brotliCompressSync(js))
  writeFileSync(join(dir, 'style.css'), 'body { color: rgb(1, 2, 3) }\n')
  const app = new Saddle('h2page')
  app.route('/', (was: any) => {
    was.response.earlyHints(['</static/style.css>; rel=preload; as=style'])
    return `<!doctype html><html><head><link rel="stylesheet" href="/static/style.css">
<script src="/static/app.js"></script></head><body><p id="p">h2 page</p>
<script>fetch('/data').then(r => r.json()).then(d => { window.dataCount = d.rows.length })</script></body></html>`
  })
  app.route('/data', () => ({ rows: Array.from({ length: 200 }, (_, i) => ({ i, text: `row ${i}` })) }))
  const cert = makeCert()
  kit = await serveInBrowser(app, { ssl: cert, mount: (e) => e.mount('/static', dir) })
})

after(async () => {
  await kit?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('Chromium loads the page and its assets over https; every entry has nextHopProtocol h2', async () => {
  const page = await kit.browser.newPage()
  try {
    const encodings: Record<string, string | undefined> = {}
    page.on('response', (r) => {
      encodings[new URL(r.url()).pathname] = r.headers()['content-encoding']
    })
    const nav = await page.goto(`${kit.base}/`, { waitUntil: 'load' })
    assert.equal(nav?.status(), 200)
    await page.waitForFunction(() => (window as any).dataCount === 200)
    const entries = await page.evaluate(() =>
      performance
        .getEntries()
        .flatMap((e: any) => (e.nextHopProtocol === undefined ? [] : [[new URL(e.name).pathname, e.nextHopProtocol]])),
    )
    const byPath = Object.fromEntries(entries)
    for (const path of ['/', '/data', '/static/app.js', '/static/style.css'])
      assert.ok(path in byPath, `${path} loaded`)
    for (const [path, proto] of entries) assert.equal(proto, 'h2', `${path} came over ${proto}`)
    assert.equal(await page.title(), 'script ran')
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).color), 'rgb(1, 2, 3)')
    assert.equal(encodings['/static/app.js'], 'br')
    assert.match(String(encodings['/data']), /^(br|gzip)$/)
  } finally {
    await page.close()
  }
})
