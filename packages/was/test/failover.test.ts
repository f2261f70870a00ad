/**
 * The one fail-over policy (failover.ts) that `was` calls and the engine's `@alias` proxy share: which
 * errors mark a member down and which requests go to another member. The proxy and call behaviour
 * over real sockets is in packages/engine/test/proxy-retry.test.ts.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CONNECT_ERRORS, DROP_ERRORS, failoverAction, IDEMPOTENT_METHODS } from '@skitai/was'

const ANY = { afterConnectError: true, afterDrop: true }

describe('fail-over policy', () => {
  it('a connection error is retried elsewhere for any method when the request can be resent', () => {
    for (const code of CONNECT_ERRORS) {
      assert.equal(failoverAction(code, 'POST', ANY), 'retry-elsewhere', code)
      assert.equal(failoverAction(code, 'POST', { afterConnectError: false, afterDrop: true }), 'mark-down', code)
    }
    assert.ok(CONNECT_ERRORS.has('ENETDOWN'), 'ENETDOWN is a connection error for the proxy too (it had drifted)')
  })

  it('a dropped connection is retried only for idempotent methods with the body at hand', () => {
    for (const code of DROP_ERRORS) {
      for (const m of IDEMPOTENT_METHODS) assert.equal(failoverAction(code, m, ANY), 'retry-elsewhere', `${code} ${m}`)
      assert.equal(failoverAction(code, 'POST', ANY), 'mark-down', `${code} POST`)
      assert.equal(failoverAction(code, 'PATCH', ANY), 'mark-down', `${code} PATCH`)
      assert.equal(failoverAction(code, 'GET', { afterConnectError: true, afterDrop: false }), 'mark-down')
    }
  })

  it('other errors (timeouts, TLS, protocol) leave the member up and are not retried', () => {
    for (const code of ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ERR_TLS_CERT_ALTNAME_INVALID', '']) {
      assert.equal(failoverAction(code, 'GET', ANY), 'none', code)
    }
  })
})
