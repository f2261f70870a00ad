import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Engine } from '@skitai/engine'
import { MemorySharedState, setSharedState, sharedBackend } from '@skitai/was'

test('skitai.g: registered names only, initial values, pre-run assignments do not overwrite the service’s value', async () => {
  const previous = setSharedState(new MemorySharedState())
  const backend = sharedBackend() as MemorySharedState
  const e = new Engine()
  try {
    // a value the service already holds (another worker changed it before this one started)
    backend.applyRemoteSet('g:MODE', 'maintenance')
    e.enableAccessLog(false)
    e.registerG('DB_STATUS', { MODE: 'normal', LIMIT: 10 })
    assert.throws(
      () => e.g.NOPE,
      /skitai\.g\.NOPE is not registered \(call skitai\.registerG\("NOPE"\) before run\(\)\)/,
    )
    assert.throws(() => {
      e.g.NOPE = 1
    }, /not registered/)
    assert.throws(() => e.registerG('not a name'), /must be an identifier/)
    const circular: any = {}
    circular.self = circular
    assert.throws(() => {
      e.g.DB_STATUS = circular
    }, /JSON-serializable/)
    // before run()/listen(): an assignment is the initial value, visible here, not yet shared
    e.g.DB_STATUS = 1
    assert.equal(e.g.DB_STATUS, 1)
    assert.equal(backend.get('g:DB_STATUS'), undefined)
    assert.deepEqual(Object.keys(e.g).sort(), ['DB_STATUS', 'LIMIT', 'MODE'])
    const seen: string[] = []
    e.onGChange((name, value) => seen.push(`${name}=${value}`))
    await e.listen()
    // at run(): initial values fill only what the service does not hold
    assert.equal(e.g.DB_STATUS, 1)
    assert.equal(e.g.MODE, 'maintenance')
    assert.equal(e.g.LIMIT, 10)
    e.g.DB_STATUS = 4
    assert.equal(backend.get('g:DB_STATUS'), 4)
    // a change from another worker
    backend.applyRemoteSet('g:MODE', 'normal')
    assert.equal(e.g.MODE, 'normal')
    delete e.g.LIMIT
    assert.equal(e.g.LIMIT, undefined)
    assert.deepEqual(seen, ['LIMIT=10', 'DB_STATUS=1', 'DB_STATUS=4', 'MODE=normal', 'LIMIT=undefined'])
  } finally {
    await e.close(1)
    setSharedState(previous)
  }
})
