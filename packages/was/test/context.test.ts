import assert from 'node:assert/strict'
import { test } from 'node:test'
import { HttpError, runWithWas, Was, was } from '@skitai/was'

test('was outside a request throws a clear error', () => {
  assert.throws(() => was.txnid(), /only available while a request is being handled/)
})

test('was inside a request is that request’s was, across awaits', async () => {
  const w = new Was('g1', 1000)
  const seen = await runWithWas(w, async () => {
    await new Promise((r) => setTimeout(r, 5))
    return was.txnid()
  })
  assert.equal(seen, 'g1/1000')
})

test('outgoing transaction ids count up from the local id', () => {
  const w = new Was('g2', 2000)
  assert.deepEqual(w.nextTxnHeaders(), { 'x-gtxn-id': 'g2', 'x-ltxn-id': '2001' })
  assert.deepEqual(w.nextTxnHeaders(), { 'x-gtxn-id': 'g2', 'x-ltxn-id': '2002' })
})

test('HttpError carries status, detail and headers', () => {
  const e = new HttpError(405, undefined, { headers: { Allow: 'GET' } })
  assert.equal(e.status, 405)
  assert.equal(e.message, 'Method Not Allowed')
  assert.equal(e.headers?.Allow, 'GET')
})
