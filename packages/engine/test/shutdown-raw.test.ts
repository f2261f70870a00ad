// SIGTERM to a real `skitai` process, seen by raw node:net clients on many keep-alive connections: each
// request gets a complete answer (status line and the whole body by Content-Length) or, when it was
// written after the signal, a clean close before any byte of its answer; never a reset or a cut answer.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { get, launchFixture, type Outcome, RawConnection, sleep } from './shutdown-helpers.js'

test('SIGTERM with raw keep-alive clients: looping, pipelined, idle and a request at the signal all end cleanly', async (t) => {
  const s = await launchFixture()
  let signalled = false
  const sent: Array<{ before: boolean; outcome: Promise<Outcome> }> = []
  const loops: RawConnection[] = []
  try {
    // 30 connections in a request → answer → request loop on a handler that takes 5–25 ms
    for (let i = 0; i < 30; i++) loops.push(new RawConnection(s.port))
    const idle = new RawConnection(s.port)
    const pipelined = new RawConnection(s.port)
    const atSignal = new RawConnection(s.port)
    await Promise.all([...loops, idle, pipelined, atSignal].map((c) => c.connected))
    const lastAnswers: Array<Outcome | null> = loops.map(() => null)
    const running = loops.map(async (c, i) => {
      for (;;) {
        const before = !signalled
        const [p] = c.send([get(`/work?ms=${5 + ((i * 7) % 20)}`)]) as [Promise<Outcome>]
        sent.push({ before, outcome: p })
        const o = await p
        if (o.kind !== 'answered') return
        lastAnswers[i] = o
        if (c.ended) return
      }
    })
    const [idleAnswer] = idle.send([get('/')]) as [Promise<Outcome>]
    assert.equal((await idleAnswer).kind, 'answered')
    await sleep(500)
    // five requests in one write, all in flight at the signal (their handlers take 200 ms)
    const piped = pipelined.send([1, 2, 3, 4, 5].map(() => get('/work?ms=200')))
    for (const p of piped) sent.push({ before: true, outcome: p })
    await sleep(20)
    signalled = true
    const exited = s.terminate()
    const [justAfter] = atSignal.send([get('/')]) as [Promise<Outcome>]
    const code = await exited
    await Promise.all(running)

    const outcomes = await Promise.all(sent.map(async (x) => ({ before: x.before, o: await x.outcome })))
    const count = (f: (x: { before: boolean; o: Outcome }) => boolean) => outcomes.filter(f).length
    const figures = {
      requests: outcomes.length,
      answered: count((x) => x.o.kind === 'answered'),
      closedUnanswered: count((x) => x.o.kind === 'closed-unanswered'),
      closedUnansweredSentBeforeSignal: count((x) => x.before && x.o.kind !== 'answered'),
      cutMidAnswer: count((x) => x.o.kind === 'cut-mid-answer'),
      resets: count((x) => x.o.kind === 'reset'),
      exitCode: code,
    }
    t.diagnostic(`figures: ${JSON.stringify(figures)}`)
    assert.equal(code, 0, s.server.output())
    assert.equal(figures.closedUnansweredSentBeforeSignal, 0)
    assert.equal(figures.cutMidAnswer, 0)
    assert.equal(figures.resets, 0)

    // the pipelined ones: all five answered in full, keep-alive until the last, which closes
    const p = await Promise.all(piped)
    for (const [i, o] of p.entries()) {
      assert.equal(o.kind, 'answered', `pipelined request ${i + 1}`)
      if (o.kind !== 'answered') continue
      assert.equal(o.answer.status, 200)
      assert.equal(o.answer.body.length, 64)
      assert.equal(o.answer.headers.connection, i === 4 ? 'close' : 'keep-alive', `pipelined answer ${i + 1}`)
    }
    assert.equal(pipelined.ended, true)
    // the idle connection: closed with a FIN, no reset
    assert.equal(idle.ended, true)
    assert.equal(idle.error, null)
    // the request written just after the signal: answered in full (during the settle time it is served as
    // before, keep-alive, and the connection is closed once quiet), or a clean close before any byte
    const j = await justAfter
    assert.ok(j.kind === 'answered' || j.kind === 'closed-unanswered', JSON.stringify(j))
    if (j.kind === 'answered') assert.equal(j.answer.body.length, 64)
    assert.equal(atSignal.ended, true)
    assert.equal(atSignal.error, null)
    // each looping connection's last answer says Connection: close (they were busy when the drain began)
    const closing = lastAnswers.filter((o) => o?.kind === 'answered' && o.answer.headers.connection === 'close')
    t.diagnostic(`loop connections ending with a Connection: close answer: ${closing.length}/${loops.length}`)
    assert.ok(closing.length > 0)
  } finally {
    for (const c of loops) c.close()
    await s.server.stop()
  }
})
