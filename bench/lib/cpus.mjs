// CPU pinning: the load generator and the servers on different cores so that they do not steal time
// from each other (with 2 cores: bench + backends on CPU 0, the server under test on CPU 1).
import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

function hasTaskset() {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

export function cpuPlan() {
  const cores = availableParallelism()
  const taskset = cores >= 2 && hasTaskset()
  return {
    taskset,
    cores,
    bench: 0,
    server: taskset ? 1 : null,
    backend: taskset ? (cores > 2 ? 2 : 0) : null,
  }
}

/** Pin this process (all its threads) to one CPU. */
export function pinSelf(cpu) {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' })
}

/** The command line to start `node args` pinned to `cpu` (or unpinned when cpu is null). */
export function pinned(cpu, args) {
  return cpu === null ? [process.execPath, args] : ['taskset', ['-c', String(cpu), process.execPath, ...args]]
}
