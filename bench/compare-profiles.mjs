#!/usr/bin/env node
// Self time per request of two .cpuprofile files side by side (bench/profile.mjs writes them and prints
// each one's req/s): `node bench/compare-profiles.mjs A.cpuprofile requestsA B.cpuprofile requestsB [rows]`.
// Prints ns per request for each function in A and B and their difference, largest difference first —
// how the Saddle-vs-node:http findings in FINDINGS.md were read. Idle time is left out.
import { readFileSync } from 'node:fs'

function load(file) {
  const p = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const self = new Map()
  let total = 0
  for (let i = 0; i < p.samples.length; i++) {
    const f = byId.get(p.samples[i]).callFrame
    if (f.functionName === '(idle)') continue
    const url = f.url.replace(/.*\/(packages|node_modules|bench)\//, '$1/')
    const key = `${f.functionName || '(anonymous)'} ${url}:${f.lineNumber + 1}`
    const us = p.timeDeltas[i] ?? 0
    self.set(key, (self.get(key) ?? 0) + us)
    total += us
  }
  return { self, total }
}

const [fileA, reqA, fileB, reqB, rowsArg] = process.argv.slice(2)
if (!fileA || !reqA || !fileB || !reqB) {
  console.error('usage: node bench/compare-profiles.mjs A.cpuprofile requestsA B.cpuprofile requestsB [rows]')
  process.exit(2)
}
const a = load(fileA)
const b = load(fileB)
const nA = Number(reqA)
const nB = Number(reqB)
const rows = [...new Set([...a.self.keys(), ...b.self.keys()])].map((k) => {
  const x = ((a.self.get(k) ?? 0) * 1000) / nA
  const y = ((b.self.get(k) ?? 0) * 1000) / nB
  return { k, x, y, d: y - x }
})
rows.sort((p, q) => Math.abs(q.d) - Math.abs(p.d))
console.log(`busy ns/request: A ${((a.total * 1000) / nA).toFixed(0)}  B ${((b.total * 1000) / nB).toFixed(0)}`)
console.log('  B−A       A       B  function')
for (const r of rows.slice(0, Number(rowsArg ?? 40))) {
  console.log(`${r.d.toFixed(0).padStart(6)}  ${r.x.toFixed(0).padStart(6)}  ${r.y.toFixed(0).padStart(6)}  ${r.k}`)
}
