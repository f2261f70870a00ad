// The login example in a real browser: headless Chromium (playwright-core, /usr/bin/chromium) against
// the app on a real socket — a form with the CSRF token, a sealed session cookie across navigation,
// flash messages shown once, logout.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { app } from '../examples/login/app.js'
import { type BrowserKit, serveInBrowser } from './browser-kit.ts'

let kit: BrowserKit
let base: string
let browser: Browser

before(async () => {
  kit = await serveInBrowser(app)
  base = kit.base
  browser = kit.browser
})

after(() => kit?.close())

test('log in through the form, the session survives navigation, a flash shows once, logout clears it', async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  try {
    // Not logged in: / redirects to the login form, which carries a CSRF token.
    await page.goto(`${base}/`)
    assert.equal(new URL(page.url()).pathname, '/login')
    const token = await page.getAttribute('input[name="_csrf_token"]', 'value')
    assert.match(token ?? '', /^[A-Za-z0-9_-]{32}$/)

    // A wrong password: back to the form with an error message.
    await page.fill('#username', 'hans')
    await page.fill('#password', 'wrong')
    await Promise.all([page.waitForURL(`${base}/login`), page.click('#login')])
    assert.equal(await page.textContent('.flash.error'), 'Wrong user name or password.')

    // The right one: redirected home, greeted, the flash message shown.
    await page.fill('#username', 'hans')
    await page.fill('#password', 'secret horse')
    await Promise.all([page.waitForURL(`${base}/`), page.click('#login')])
    assert.equal(await page.textContent('#greeting'), 'Hello, hans')
    assert.deepEqual(await page.locator('.flash').allTextContents(), ['Welcome back, hans!'])
    const cookies = await context.cookies()
    const session = cookies.find((c) => c.name === 'SKITAI_SESSION')
    assert.ok(session, 'a session cookie')
    assert.equal(session.httpOnly, true)
    assert.equal(session.sameSite, 'Lax')

    // Navigation: the session is still there, the flash message is not shown again.
    await Promise.all([page.waitForURL(`${base}/profile`), page.click('#profile')])
    assert.equal(await page.textContent('#profile-title'), 'Profile of hans')
    assert.equal(await page.textContent('#visits'), 'Visits: 2')
    assert.equal(await page.locator('.flash').count(), 0)
    await Promise.all([page.waitForURL(`${base}/`), page.click('#home')])
    assert.equal(await page.textContent('#visits'), 'Visits: 3')
    await page.reload()
    assert.equal(await page.textContent('#greeting'), 'Hello, hans')
    assert.equal(await page.locator('.flash').count(), 0)

    // A post without the token (what a forged form would send, the session cookie riding along) is
    // refused (CSRF) and changes nothing.
    const forged = await page.evaluate(async () => {
      const r = await fetch('/logout', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      })
      return r.status
    })
    assert.equal(forged, 400)
    await page.reload()
    assert.equal(await page.textContent('#greeting'), 'Hello, hans')

    // Logout (with the token): back to the login form with a message; / no longer lets us in.
    await Promise.all([page.waitForURL(`${base}/login`), page.click('#logout')])
    assert.deepEqual(await page.locator('.flash').allTextContents(), ['You have been logged out.'])
    await page.goto(`${base}/`)
    assert.equal(new URL(page.url()).pathname, '/login')
    assert.equal(await page.locator('.flash').count(), 0)
  } finally {
    await context.close()
  }
})
