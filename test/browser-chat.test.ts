// examples/chat in a real browser: headless Chromium (playwright-core, /usr/bin/chromium), three
// browser contexts (three people) — two in one room see each other's messages, the third, in another
// room, does not.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { app } from '../examples/chat/app.js'
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

async function join(name: string, room: string): Promise<Page> {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(`${base}/`)
  await page.fill('#name', name)
  await page.fill('#room', room)
  await page.click('#enter')
  await page.waitForSelector('#talk:not([hidden])')
  assert.equal(await page.textContent('#status'), `in room ${room}`)
  return page
}

const lines = (page: Page) => page.$$eval('#log li', (lis) => lis.map((li) => li.textContent))

test('two people in one room see each other; a third in another room does not', async () => {
  const amber = await join('Amber', 'lobby')
  const bob = await join('Bob', 'lobby')
  const carol = await join('Carol', 'kitchen')
  // Amber saw Bob come in
  await amber.waitForFunction(() => document.querySelector('#log')?.textContent?.includes('Bob joined (2 here)'))

  await amber.fill('#text', 'hello from Amber')
  await amber.click('#send')
  await bob.waitForFunction(() => document.querySelector('#log')?.textContent?.includes('Amber: hello from Amber'))
  // Amber's own copy comes over her own connection, not necessarily before Bob's: wait for it too
  await amber.waitForFunction(() => document.querySelector('#log')?.textContent?.includes('Amber: hello from Amber'))
  assert.ok((await lines(amber)).includes('Amber: hello from Amber'))

  await bob.fill('#text', 'hi Amber')
  await bob.press('#text', 'Enter')
  await amber.waitForFunction(() => document.querySelector('#log')?.textContent?.includes('Bob: hi Amber'))

  await carol.fill('#text', 'anyone in the kitchen?')
  await carol.click('#send')
  await carol.waitForFunction(() => document.querySelector('#log')?.textContent?.includes('Carol: anyone'))
  // give a stray message time to arrive before asserting it did not
  await new Promise((r) => setTimeout(r, 200))
  const carolSees = (await lines(carol)).join('\n')
  assert.doesNotMatch(carolSees, /Amber|Bob/)
  assert.doesNotMatch((await lines(bob)).join('\n'), /kitchen|Carol/)

  // leaving is announced to the room
  await bob.context().close()
  await amber.waitForFunction(() => document.querySelector('#log')?.textContent?.includes('Bob left'))
  await amber.context().close()
  await carol.context().close()
})
