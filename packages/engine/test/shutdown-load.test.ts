// SIGTERM to a real `skitai` process under autocannon load (keep-alive, pipelining 1 and 10): every
// request autocannon wrote before the signal is answered in full, no connection is reset, the last answer
// on each busy connection says `Connection: close`, and the process exits 0 (README "Command line and
// shutdown"). autocannon runs in a worker thread so that it keeps sending while this thread signals.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Worker } from 'node:worker_threads'
import { launchFixture, LOAD_WORKER, sleep } from './shutdown-helpers.js'

interface Tally {
  connectionsOpened: number
  refusedConnects: number
  sentBeforeSignal: number
  answered: number
  unansweredBeforeSignal: number
  unansweredAfterSignal: number
  unansweredAfterClose: number
  partialAnswers: number
  resets: number
  closeAnswers: number
  keepAliveAnswersAfterSignal: number
}

const CONNECTIONS = 50

for (const [pipelining, path] of [
  [1, '/'],
  [1, '/work?ms=10'],
  [10, '/'],
  [10, '/work?ms=10'],
] as const) {
  test(`SIGTERM under autocannon load, pipelining ${pipelining}, GET ${path}: every request sent before the signal answered, no reset, exit 0`, async (t) => {
    const s = await launchFixture()
    const signalled = new SharedArrayBuffer(4)
    const worker = new Worker(LOAD_WORKER, {
      workerData: { url: `http://127.0.0.1:${s.port}`, connections: CONNECTIONS, pipelining, path, signalled },
    })
    try {
      const tally = new Promise<Tally>((resolve, reject) => {
        worker.once('message', resolve)
        worker.once('error', reject)
      })
      await sleep(1500)
      // requests autocannon writes from here on count as sent after the signal
      Atomics.store(new Int32Array(signalled), 0, 1)
      // a request written just before the mark may still sit in the kernel's buffers; give it time to reach
      // the server, so that "sent before the signal" means the server had it when SIGTERM came
      await sleep(100)
      const code = await s.terminate()
      worker.postMessage('stop')
      const r = await tally
      t.diagnostic(`figures: ${JSON.stringify({ pipelining, path, exitCode: code, ...r })}`)
      assert.equal(code, 0, s.server.output())
      assert.ok(r.sentBeforeSignal > 1000, `load ran (${r.sentBeforeSignal} requests before the signal)`)
      assert.equal(r.unansweredBeforeSignal, 0, 'requests sent before the signal that got no answer')
      assert.equal(r.partialAnswers, 0, 'answers cut in the middle')
      assert.equal(r.resets, 0, 'connections reset')
      assert.ok(r.closeAnswers > 0, 'answers carrying Connection: close')
      // a connection ends with a `Connection: close` answer or, if it had gone quiet, a FIN; autocannon
      // ignores the header and keeps writing (unansweredAfterClose): the rest were written after the signal
      assert.ok(r.closeAnswers <= r.connectionsOpened)
    } finally {
      await worker.terminate()
      await s.server.stop()
    }
  })
}
