#!/usr/bin/env node
// The WebSocket part of `npm run bench` (SPEC §4): echo round trips per second over 100 connections,
// Saddle's WebSocket route vs a bare `ws` server side by side (rounds alternate, the best counts, and the
// servers' CPU per round trip, which holds when the client is the bottleneck); 10,000 idle WebSockets
// and the server's RSS; a message to a 1,000-member groupchat room — time until the last member has it,
// p50/p99 over repeated messages. Run alone: `node bench/ws.mjs [--quick] [--write]` (--write replaces
// its section of bench/RESULTS.md); bench/run.mjs runs it last.
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { ensureBuilt } from './lib/build.mjs'
import { cpuPlan, pinSelf } from './lib/cpus.mjs'
import { cpuSecondsOf, rssOf, sleep, startServer } from './lib/procs.mjs'

const SERVERS = [
  { id: 'ws-bare', script: 'ws-bare.mjs', skitai: false },
  { id: 'ws-bare-text', script: 'ws-bare-text.mjs', skitai: false, echoOnly: true },
  { id: 'saddle-ws', script: 'saddle-ws.mjs', skitai: true },
]

/** Sizes of the full run and of `--quick` (a smoke run that proves the bench works). */
const SIZES = {
  full: { connections: 100, seconds: 5, warmup: 2, rounds: 3, idle: 10_000, room: 1000, messages: 50 },
  quick: { connections: 10, seconds: 1, warmup: 0, rounds: 1, idle: 200, room: 50, messages: 5 },
}

/** Echo load: `n` clients, each sends a 32-byte text and waits for it back, for `seconds`. */
async function echoRound(port, n, seconds) {
  const clients = await Promise.all(Array.from({ length: n }, () => openClient(port, '/echo')))
  const payload = 'x'.repeat(32)
  let count = 0
  let running = true
  const loops = clients.map(
    (ws) =>
      new Promise((resolve) => {
        ws.on('message', () => {
          count++
          if (running) ws.send(payload)
          else resolve()
        })
        ws.send(payload)
      }),
  )
  const t0 = performance.now()
  await sleep(seconds * 1000)
  running = false
  const elapsed = (performance.now() - t0) / 1000
  const done = count
  await Promise.race([Promise.all(loops), sleep(2000)])
  for (const ws of clients) ws.terminate()
  return { roundTrips: done, perSecond: done / elapsed }
}

function openClient(port, path) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

/**
 * A raw WebSocket handshake on a TCP socket (cheaper than a ws client: 10,000 of them must not make
 * the bench process the bottleneck). `onFrame(data)` sees what arrives after the 101.
 */
function rawSocket(port, path, onFrame) {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    const fail = () => {
      socket.destroy()
      resolve(null)
    }
    socket.setTimeout(30_000, fail)
    socket.once('error', fail)
    socket.once('connect', () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    )
    let head = ''
    const onData = (d) => {
      head += d.toString('latin1')
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      socket.setTimeout(0)
      socket.removeListener('error', fail)
      socket.on('error', () => {})
      if (!head.startsWith('HTTP/1.1 101')) return fail()
      if (onFrame) socket.on('data', onFrame)
      resolve(socket)
    }
    socket.on('data', onData)
  })
}

async function openMany(port, path, count, onFrame) {
  const out = []
  for (let done = 0; done < count; done += 250) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(250, count - done) }, (_, i) => rawSocket(port, path, onFrame?.(done + i))),
    )
    for (const s of batch) if (s) out.push(s)
  }
  return out
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]

/** A message to a room of `members`: time until the last member has it, `messages` times. */
async function roomRound(port, members, messages) {
  const room = `r${Date.now()}`
  let seq = -1
  let got = 0
  let sentAt = 0
  let last = 0
  let allIn = null
  // each member counts a message once it saw its marker (frames are small: one data event each)
  const onFrame = () => (d) => {
    if (seq >= 0 && d.includes(`m${seq};`)) {
      got++
      if (got === members) {
        last = performance.now() - sentAt
        allIn?.()
      }
    }
  }
  const sockets = await openMany(port, `/room?roomid=${room}`, members, onFrame)
  if (sockets.length !== members) throw new Error(`only ${sockets.length} of ${members} members joined`)
  const sender = await openClient(port, `/room?roomid=${room}`)
  sender.on('message', () => {})
  const times = []
  for (let i = 0; i < messages; i++) {
    got = 0
    seq = i
    const arrived = new Promise((r) => {
      allIn = r
    })
    sentAt = performance.now()
    sender.send(`m${i};`)
    const ok = await Promise.race([arrived.then(() => true), sleep(5000).then(() => false)])
    if (!ok) throw new Error(`message ${i} reached ${got} of ${members} members within 5 s`)
    times.push(last)
    await sleep(20)
  }
  sender.terminate()
  for (const s of sockets) s.destroy()
  times.sort((a, b) => a - b)
  return { members, messages, p50: pct(times, 50), p99: pct(times, 99), max: times.at(-1) }
}

export async function runWsBench({ quick = false, source = false, plan = cpuPlan() } = {}) {
  const size = quick ? SIZES.quick : SIZES.full
  const out = { date: Date.now(), size, servers: {}, echo: {}, idle: {}, room: null, targets: [] }
  const start = (def) => startServer(def, { cpu: plan.server, source, env: {} })
  const running = {}
  try {
    for (const def of SERVERS) {
      const s = await start(def)
      out.servers[def.id] = s.status === 'ready' ? 'ready' : `${s.status}: ${s.reason}`
      if (s.status === 'ready') running[def.id] = s
      else await s.stop()
    }
    console.log('\n== WebSocket: echo round trips, 100 connections')
    for (const id of Object.keys(running)) {
      if (size.warmup > 0) await echoRound(running[id].port, size.connections, size.warmup)
      out.echo[id] = { best: 0, cpuPerRoundTripUs: null, rounds: [] }
    }
    for (let r = 0; r < size.rounds; r++) {
      for (const id of Object.keys(running)) {
        const s = running[id]
        const cpu0 = cpuSecondsOf(s.pid)
        const res = await echoRound(s.port, size.connections, size.seconds)
        const cpu1 = cpuSecondsOf(s.pid)
        const cpuUs = cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) * 1e6) / res.roundTrips
        const e = out.echo[id]
        e.rounds.push({ perSecond: Math.round(res.perSecond), cpuPerRoundTripUs: cpuUs })
        if (res.perSecond > e.best) e.best = Math.round(res.perSecond)
        if (cpuUs !== null) e.cpuPerRoundTripUs = Math.min(e.cpuPerRoundTripUs ?? cpuUs, cpuUs)
        console.log(
          `${id.padEnd(10)} round ${r + 1}: ${Math.round(res.perSecond)} rt/s, server CPU ${cpuUs?.toFixed(1)} µs/rt`,
        )
      }
    }
    if (process.argv.includes('--echo-only')) return out
    console.log(`\n== WebSocket: ${size.idle} idle sessions`)
    for (const id of Object.keys(running)) {
      if (SERVERS.find((d) => d.id === id).echoOnly) continue
      const s = running[id]
      const before = rssOf(s.pid)
      const sockets = await openMany(s.port, id === 'saddle-ws' ? '/idle' : '/echo', size.idle)
      await sleep(1000)
      const after = rssOf(s.pid)
      const held = sockets.filter((k) => !k.destroyed).length
      for (const k of sockets) k.destroy()
      out.idle[id] = { requested: size.idle, held, rssBefore: before, rssAfter: after }
      console.log(`${id.padEnd(10)} ${held}/${size.idle} held, RSS ${mb(before)} → ${mb(after)} MB`)
      await sleep(500)
    }
    if (running['saddle-ws']) {
      console.log(`\n== WebSocket: a message to a ${size.room}-member groupchat room`)
      out.room = await roomRound(running['saddle-ws'].port, size.room, size.messages)
      if (running['ws-bare']) out.roomBare = await roomRound(running['ws-bare'].port, size.room, size.messages)
      console.log(`saddle-ws  last member after p50 ${out.room.p50.toFixed(2)} ms, p99 ${out.room.p99.toFixed(2)} ms`)
      if (out.roomBare) {
        console.log(
          `ws-bare    last member after p50 ${out.roomBare.p50.toFixed(2)} ms, p99 ${out.roomBare.p99.toFixed(2)} ms`,
        )
      }
    }
  } finally {
    for (const s of Object.values(running)) await s.stop()
  }
  out.targets = targets(out)
  for (const t of out.targets) console.log(`${t.pass ? 'met ' : 'MISSED'} ${t.target}: ${t.measured}`)
  return out
}

function mb(b) {
  return b === null ? '?' : (b / 2 ** 20).toFixed(1)
}

function targets(out) {
  const t = []
  const bare = out.echo['ws-bare']
  const saddle = out.echo['saddle-ws']
  const text = out.echo['ws-bare-text']
  const informative = []
  if (text && saddle) {
    informative.push({
      target: 'echo round trips ≥ 0.9 × bare ws decoding text (informative)',
      measured: `${(saddle.best / text.best).toFixed(2)} × (${saddle.best} vs ${text.best} rt/s; server CPU ${saddle.cpuPerRoundTripUs?.toFixed(1)} vs ${text.cpuPerRoundTripUs?.toFixed(1)} µs per round trip)`,
      pass: saddle.best / text.best >= 0.9,
    })
  }
  if (bare && saddle) {
    const ratio = saddle.best / bare.best
    t.push({
      target: 'echo round trips ≥ 0.9 × bare ws',
      measured: `${ratio.toFixed(2)} × (${saddle.best} vs ${bare.best} rt/s; server CPU ${saddle.cpuPerRoundTripUs?.toFixed(1)} vs ${bare.cpuPerRoundTripUs?.toFixed(1)} µs per round trip)`,
      pass: ratio >= 0.9,
    })
  }
  t.push(...informative)
  const idle = out.idle['saddle-ws']
  if (idle && idle.rssAfter !== null) {
    const more = (idle.rssAfter - idle.rssBefore) / 2 ** 20
    t.push({
      target: `${idle.requested} idle WebSockets with < 250 MB more RSS`,
      measured: `${idle.held} held, +${more.toFixed(1)} MB`,
      pass: idle.held === idle.requested && more < 250,
    })
  }
  if (out.room) {
    t.push({
      target: `a message reaches all ${out.room.members} members of a room within 50 ms (p99)`,
      measured: `p50 ${out.room.p50.toFixed(2)} ms, p99 ${out.room.p99.toFixed(2)} ms over ${out.room.messages} messages`,
      pass: out.room.p99 < 50,
    })
  }
  return t
}

/** The section of bench/RESULTS.md. */
export function wsMarkdown(out) {
  const lines = [
    '',
    '<!-- websocket -->',
    '## WebSocket (bench/ws.mjs)',
    '',
    `${new Date(out.date).toISOString()}, Node ${process.version}; ${out.size.connections} echo connections, ${out.size.rounds} rounds of ${out.size.seconds} s per server (alternating, best counts); written by \`npm run bench\` or \`node bench/ws.mjs --write\`.`,
    '',
  ]
  lines.push('| server | echo rt/s (best) | server CPU µs / rt | idle sessions held | RSS before → after |')
  lines.push('|---|---|---|---|---|')
  for (const id of Object.keys(out.echo)) {
    const e = out.echo[id]
    const i = out.idle[id]
    lines.push(
      `| ${id} | ${e.best} | ${e.cpuPerRoundTripUs?.toFixed(1) ?? '?'} | ${i ? `${i.held}/${i.requested}` : '-'} | ${i ? `${mb(i.rssBefore)} → ${mb(i.rssAfter)} MB` : '-'} |`,
    )
  }
  for (const [name, r] of [
    ['saddle-ws (groupchat route)', out.room],
    ['ws-bare (hand-written room)', out.roomBare],
  ]) {
    if (r)
      lines.push(
        '',
        `Room of ${r.members}, ${name}: last member after p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(2)} ms.`,
      )
  }
  lines.push('', '| target (SPEC §4) | measured | |', '|---|---|---|')
  for (const t of out.targets) lines.push(`| ${t.target} | ${t.measured} | ${t.pass ? 'met' : 'missed'} |`)
  lines.push('<!-- /websocket -->')
  return `${lines.join('\n')}\n`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick')
  let source = process.argv.includes('--source')
  const plan = cpuPlan()
  if (plan.taskset) pinSelf(plan.bench)
  if (!source) {
    const problem = ensureBuilt()
    if (problem) source = true
  }
  const out = await runWsBench({ quick, source, plan })
  if (process.argv.includes('--markdown')) process.stdout.write(wsMarkdown(out))
  if (process.argv.includes('--write') && !quick) {
    // replaces this script's section of bench/RESULTS.md (npm run bench keeps it when it rewrites the file)
    const file = fileURLToPath(new URL('./RESULTS.md', import.meta.url))
    const text = readFileSync(file, 'utf8')
    const section = wsMarkdown(out).trim()
    const re = /<!-- websocket -->[\s\S]*?<!-- \/websocket -->/
    writeFileSync(file, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`)
    console.log('wrote the WebSocket section of bench/RESULTS.md')
  }
}
