import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { after, before, describe, test } from 'node:test'
import {
  FULL,
  figure,
  GET,
  openSocket,
  percentile,
  request,
  scale,
  sleep,
  startTarget,
  type Target,
} from './harness.js'

/**
 * Exhaustion from one address: slowloris heads, stalled bodies filling the in-flight cap, a trickle of
 * one byte now and then. Healthy clients from another address (127.0.0.2) must still be served fast, and
 * the stalled connections must be gone after the body deadline.
 */

const STALLED =
  'POST /raw HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n0123456789'

async function openMany(port: number, n: number, first: string): Promise<Socket[]> {
  const out: Socket[] = []
  for (let i = 0; i < n; i += 200) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(200, n - i) }, () =>
        openSocket(port).then(
          (s) => {
            s.on('error', () => {})
            s.write(first)
            return s
          },
          () => null,
        ),
      ),
    )
    for (const s of batch) if (s !== null) out.push(s)
  }
  return out
}

/** Sequential healthy GETs from 127.0.0.2: their latencies in ms. */
async function healthy(port: number, n: number): Promise<{ ms: number[]; statuses: number[] }> {
  const ms: number[] = []
  const statuses: number[] = []
  for (let i = 0; i < n; i++) {
    const r = await request(port, GET('/'), { localAddress: '127.0.0.2' })
    ms.push(r.ms)
    statuses.push(r.status)
  }
  return { ms, statuses }
}

describe('exhaustion from one address', () => {
  let target: Target
  before(async () => {
    // the body deadline is shortened so the probe can watch the stalled requests go
    target = await startTarget({ BODY_TIMEOUT: 4, MIN_BODY_RATE: 0, HEADERS_TIMEOUT: 20 })
  })
  after(() => target.stop())

  test('slowloris: heads dribbled byte by byte do not slow healthy clients', async () => {
    const n = scale(500, 100)
    const sockets = await openMany(target.port, n, 'GET / HTTP/1.1\r\n')
    const drip = setInterval(() => {
      for (const s of sockets) if (s.writable) s.write('X')
    }, 1000)
    try {
      await sleep(500)
      const { ms, statuses } = await healthy(target.port, scale(300, 60))
      assert.ok(
        statuses.every((s) => s === 200),
        `healthy clients: ${statuses.filter((s) => s !== 200).length} not 200`,
      )
      const p99 = percentile(ms, 99)
      figure('slowloris', `healthy p99 under ${n} slowloris connections`, p99.toFixed(1), 'ms')
      figure('slowloris', 'healthy p50', percentile(ms, 50).toFixed(1), 'ms')
      // loose bound: a loaded CI host is slow, a starved server is seconds or never
      assert.ok(p99 < 2000, `p99 ${p99} ms`)
    } finally {
      clearInterval(drip)
      for (const s of sockets) s.destroy()
    }
  })

  test('stalled posts: another address gets 200 at once, the stalled ones are gone after the body deadline', async () => {
    const n = scale(10_050, 1_200)
    const sockets = await openMany(target.port, n, STALLED)
    let refused = 0
    for (const s of sockets)
      s.on('data', (d) => {
        if (d.toString('latin1').startsWith('HTTP/1.1 429')) refused++
      })
    try {
      await sleep(FULL ? 1500 : 500)
      const during = await target.status()
      const r = await request(target.port, GET('/'), { localAddress: '127.0.0.2' })
      assert.equal(r.status, 200)
      figure('stalled-posts', `another address under ${n} stalled posts: GET /`, r.ms.toFixed(1), 'ms')
      figure('stalled-posts', 'stalled posts refused 429 (per-address caps)', refused)
      figure('stalled-posts', 'requests in flight while stalled', during.inFlight)
      assert.ok(during.inFlight <= 501, `in flight ${during.inFlight}: the per-address cap is 500`)
      assert.ok(r.ms < (FULL ? 100 : 1000), `${r.ms} ms`)
      const t0 = performance.now()
      let st = await target.status()
      while (st.inFlight > 1 && performance.now() - t0 < 15_000) {
        await sleep(250)
        st = await target.status()
      }
      figure('stalled-posts', 'stalled requests left after the body deadline (4 s)', st.inFlight - 1)
      figure('stalled-posts', 'time until they were gone', ((performance.now() - t0) / 1000).toFixed(1), 's')
      assert.equal(st.inFlight, 1, 'only the status request itself is in flight')
    } finally {
      for (const s of sockets) s.destroy()
    }
  })
})

describe('a trickle: one byte now and then', () => {
  let target: Target
  before(async () => {
    target = await startTarget({ MIN_BODY_RATE: 512, BODY_RATE_GRACE: 2, BODY_TIMEOUT: 300, REQUEST_TIMEOUT: 30 })
  })
  after(() => target.stop())

  test('one byte every second is cut by the minimum body rate after its grace period', async () => {
    const s = await openSocket(target.port)
    s.on('error', () => {})
    let text = ''
    s.on('data', (d) => {
      text += d.toString('latin1')
    })
    const closed = new Promise<number>((r) => s.on('close', () => r(performance.now())))
    const t0 = performance.now()
    s.write('POST /raw HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 60000\r\n\r\n')
    const drip = setInterval(() => s.writable && s.write('x'), 1000)
    const at = await Promise.race([closed, sleep(15_000).then(() => 0)])
    clearInterval(drip)
    s.destroy()
    assert.ok(at > 0, 'the trickling connection was closed')
    assert.match(text, /^HTTP\/1\.1 408 /)
    figure('trickle', 'one byte/s body cut after', ((at - t0) / 1000).toFixed(1), 's')
  })
})
