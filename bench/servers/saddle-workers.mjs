// biome-ignore-all lint/correctness/noUnusedFunctionParameters: a Saddle handler takes `was` first even when it does not use it
// The Saddle app of bench/workers.mjs, started through the `skitai` command with `--workers N --port P`
// (so the master forks real workers, as in production). It counts the requests it answers; SIGUSR2
// makes a process print `bench-count pid=P n=N`, which is how the bench splits the requests between
// the workers and divides each worker's CPU time by its own requests.
import cluster from 'node:cluster'
import skitai from '@skitai/engine'
import { Saddle } from '@skitai/saddle'

// The bench holds an IPC channel to the process it started (the master, or the single process): when the
// bench dies that channel closes, and the server goes too (workers follow their master through node:cluster).
if (cluster.isPrimary && process.send) process.on('disconnect', () => process.exit(0))

let answered = 0
process.on('SIGUSR2', () => process.stdout.write(`bench-count pid=${process.pid} n=${answered}\n`))

const app = new Saddle(import.meta.url)
app.route('/', (was) => {
  answered++
  return 'Hello World'
})
app.route('/json', (was) => {
  answered++
  return { hello: 'world' }
})

// no access log: a line per request to a pipe would be measured, not the server
skitai.enableAccessLog(false)
skitai.mount('/', app)
skitai.run({ address: '127.0.0.1', name: 'bench-workers' })
