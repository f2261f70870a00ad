/**
 * Figures summed over cluster workers (README "Status page and metrics"), on node:cluster IPC. The worker
 * that serves a status or metrics request asks the master (`skitai:collect:ask`); the master asks every
 * connected worker for its figures (`skitai:collect:gather` → `skitai:collect:figures`), waits at most
 * GATHER_TIMEOUT_MS, adds up what came (a worker that did not answer is reported missing) and answers
 * the asking worker with the sum (`skitai:collect:answer`). In one process (no cluster) the figures are
 * this process's own.
 */
import cluster, { type Worker } from 'node:cluster'
import { metricsText } from './metrics-text.js'
import { type StatusReport, sumFigures, type WorkerFigures } from './figures.js'

const ASK = 'skitai:collect:ask'
const GATHER = 'skitai:collect:gather'
const FIGURES = 'skitai:collect:figures'
const ANSWER = 'skitai:collect:answer'

/** How long the master waits for the workers' figures. */
export const GATHER_TIMEOUT_MS = 1000
/** How long a worker waits for the master's answer before it answers with its own figures only. */
const ASK_TIMEOUT_MS = GATHER_TIMEOUT_MS + 2000

export type CollectKind = 'status' | 'metrics'
type Answer = { status: StatusReport } | { metrics: string }

interface Message {
  type?: unknown
  id?: unknown
  kind?: unknown
  figures?: unknown
  answer?: unknown
}

/** The figures, summed, for a status (`StatusReport`) or metrics (Prometheus text) answer. */
export function answerFor(
  kind: CollectKind,
  list: readonly WorkerFigures[],
  missing: readonly string[],
  uptime: number,
): Promise<Answer> {
  if (kind === 'status') return Promise.resolve({ status: sumFigures(list, missing, uptime) })
  return metricsText(list, missing).then((metrics) => ({ metrics }))
}

// ---- the worker side ---------------------------------------------------------------------------------

let askSeq = 0
const asked = new Map<number, { resolve: (a: Answer | null) => void; timer: NodeJS.Timeout }>()
let figuresSource: (() => WorkerFigures) | null = null
let workerListening = false

/** Whether this process is a cluster worker that can ask its master. */
function isWorkerWithMaster(): boolean {
  return cluster.isWorker && typeof process.send === 'function' && process.connected
}

function onWorkerMessage(msg: Message): void {
  if (msg === null || typeof msg !== 'object') return
  if (msg.type === GATHER && figuresSource !== null) {
    let figures: WorkerFigures | null = null
    try {
      figures = figuresSource()
    } catch {
      figures = null // reported missing by the master: nothing better to say from here
    }
    if (figures !== null) trySend({ type: FIGURES, id: msg.id, figures })
  } else if (msg.type === ANSWER && typeof msg.id === 'number') {
    const w = asked.get(msg.id)
    if (w === undefined) return
    asked.delete(msg.id)
    clearTimeout(w.timer)
    w.resolve(msg.answer as Answer)
  }
}

function trySend(message: object): void {
  try {
    process.send?.(message)
  } catch {
    // the channel closed (the master is going away): the master counts this worker missing
  }
}

/**
 * In a cluster worker: answer the master's requests for this worker's figures with `source` (the last
 * engine to enable a page wins). Returns the function that stops it (at that engine's close).
 */
export function serveFigures(source: () => WorkerFigures): () => void {
  figuresSource = source
  if (cluster.isWorker && !workerListening) {
    workerListening = true
    process.on('message', onWorkerMessage)
  }
  return () => {
    if (figuresSource === source) stopServingFigures()
  }
}

function stopServingFigures(): void {
  figuresSource = null
  if (!workerListening) return
  workerListening = false
  process.removeListener('message', onWorkerMessage)
  for (const [id, w] of asked) {
    clearTimeout(w.timer)
    w.resolve(null)
    asked.delete(id)
  }
}

/**
 * The answer for a status or metrics request: summed over all workers by the master in a cluster, this
 * process's own figures otherwise — and when the master does not answer in time (then `missing` says so).
 */
export async function collect(kind: CollectKind, local: () => WorkerFigures): Promise<Answer> {
  if (isWorkerWithMaster() && workerListening) {
    const id = ++askSeq
    const answer = await new Promise<Answer | null>((resolve) => {
      const timer = setTimeout(() => {
        asked.delete(id)
        resolve(null)
      }, ASK_TIMEOUT_MS)
      timer.unref()
      asked.set(id, { resolve, timer })
      trySend({ type: ASK, id, kind })
    })
    if (answer !== null) return answer
    const why = `the master did not answer within ${ASK_TIMEOUT_MS} ms (has it called enableStatus/enableMetrics?): this worker's figures only`
    return answerFor(kind, [local()], [why], process.uptime())
  }
  return answerFor(kind, [local()], [], process.uptime())
}

// ---- the master side ---------------------------------------------------------------------------------

interface Gathering {
  readonly expected: Worker[]
  readonly got: Map<Worker, WorkerFigures>
  readonly finish: () => void
}

let gatherSeq = 0
const gatherings = new Map<number, Gathering>()
/** Engines of this process that enabled a page: the primary collects while there is one. */
let primaryUsers = 0

/** In the cluster primary: answer the workers' `skitai:collect:ask`. Returns the release function. */
export function collectInPrimary(): () => void {
  if (!cluster.isPrimary) return noop
  if (primaryUsers++ === 0) cluster.on('message', onPrimaryMessage)
  let released = false
  return () => {
    if (released) return
    released = true
    if (--primaryUsers === 0) cluster.removeListener('message', onPrimaryMessage)
  }
}

function noop(): void {}

function onPrimaryMessage(worker: Worker, msg: Message): void {
  if (msg === null || typeof msg !== 'object') return
  if (msg.type === ASK) {
    const kind: CollectKind = msg.kind === 'metrics' ? 'metrics' : 'status'
    gather(worker, msg.id, kind)
  } else if (msg.type === FIGURES && typeof msg.id === 'number') {
    const g = gatherings.get(msg.id)
    if (g === undefined || !g.expected.includes(worker)) return
    g.got.set(worker, msg.figures as WorkerFigures)
    if (g.got.size === g.expected.length) g.finish()
  }
}

function gather(requester: Worker, askId: unknown, kind: CollectKind): void {
  const id = ++gatherSeq
  const expected = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w?.isConnected() === true)
  const got = new Map<Worker, WorkerFigures>()
  let done = false
  const finish = () => {
    if (done) return
    done = true
    clearTimeout(timer)
    gatherings.delete(id)
    const list: WorkerFigures[] = []
    const missing: string[] = []
    for (const w of expected) {
      const f = got.get(w)
      if (f !== undefined) list.push(f)
      else missing.push(`worker #${w.id} (pid ${w.process.pid})`)
    }
    answerFor(kind, list, missing, process.uptime()).then(
      (answer) => sendTo(requester, { type: ANSWER, id: askId, answer }),
      // the asking worker times out and answers with its own figures
      () => {},
    )
  }
  const timer = setTimeout(finish, GATHER_TIMEOUT_MS)
  timer.unref()
  gatherings.set(id, { expected, got, finish })
  for (const w of expected) sendTo(w, { type: GATHER, id })
  if (expected.length === 0) finish()
}

function sendTo(worker: Worker, message: object): void {
  if (!worker.isConnected()) return
  try {
    worker.send(message)
  } catch {
    // gone meanwhile: reported missing (or, for the requester, nobody is left to answer)
  }
}
