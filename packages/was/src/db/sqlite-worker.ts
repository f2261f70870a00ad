/**
 * The code of a SQLite worker thread (run with `eval`, so it needs no file of its own in src/ or dist/):
 * it opens the database with better-sqlite3 and runs the statements it is sent one after the other,
 * posting rows back. A slow statement blocks only this thread, never the server's event loop.
 * `$1, $2 …` placeholders (PostgreSQL style) bind the array as `{ 1: …, 2: … }`; `?` binds it in order.
 */
export const SQLITE_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.lib)
let db
try {
  db = new Database(workerData.file, workerData.options)
  if (workerData.wal) db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = ' + workerData.busyMs)
} catch (e) {
  parentPort.postMessage({ id: 0, open: { message: e.message, code: e.code || 'SQLITE_CANTOPEN' } })
  process.exit(0)
}
parentPort.postMessage({ id: 0, ready: true })
const statements = new Map()
const NUMBERED = /\\$\\d/
function prepared(sql) {
  let st = statements.get(sql)
  if (st === undefined) {
    st = db.prepare(sql)
    if (statements.size >= 256) statements.clear()
    statements.set(sql, st)
  }
  return st
}
parentPort.on('message', (m) => {
  try {
    const st = prepared(m.sql)
    const p = m.params
    let args = p
    if (p.length > 0 && NUMBERED.test(m.sql)) {
      const named = {}
      for (let i = 0; i < p.length; i++) named[i + 1] = p[i]
      args = [named]
    }
    if (st.reader) {
      const rows = st.all(...args)
      parentPort.postMessage({ id: m.id, rows, rowCount: rows.length })
    } else {
      const info = st.run(...args)
      parentPort.postMessage({ id: m.id, rows: [], rowCount: info.changes, lastInsertRowid: Number(info.lastInsertRowid) })
    }
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { message: e.message, code: e.code || e.name || 'SQLITE_ERROR', sqlite: e.name === 'SqliteError' || e instanceof RangeError || e instanceof TypeError } })
  }
})
`
