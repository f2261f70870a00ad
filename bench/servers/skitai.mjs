// Loading the Skitai packages for a bench server, and telling the bench (skipped, not failed) when a
// package or one of its features has not landed yet.
import { skip } from './common.mjs'

export async function loadEngine() {
  let mod
  try {
    mod = await import('@skitai/engine')
  } catch (err) {
    skip(`@skitai/engine does not load: ${firstLine(err)}`)
  }
  const skitai = mod.default
  if (typeof skitai?.mount !== 'function' || typeof skitai?.run !== 'function') {
    skip('@skitai/engine has no default `skitai` namespace with mount() and run() yet')
  }
  return skitai
}

export async function loadSaddle() {
  let mod
  try {
    mod = await import('@skitai/saddle')
  } catch (err) {
    skip(`@skitai/saddle does not load: ${firstLine(err)}`)
  }
  if (typeof mod.Saddle !== 'function' || typeof mod.Saddle.prototype.route !== 'function') {
    skip('@skitai/saddle exports no Saddle class with route() yet')
  }
  return mod.Saddle
}

/** Whether `was.get` and `was.get.map` exist (the services of SPEC §3 on the Was class). */
export async function wasServices() {
  const { Was } = await import('@skitai/was')
  const w = new Was('bench', 1000)
  let get
  try {
    get = w.get
  } catch {
    get = undefined
  }
  return { get: typeof get === 'function', map: typeof get?.map === 'function' }
}

/** Quiet the access log: a line per request to a pipe would be measured, not the server. */
export function quiet(skitai) {
  if (typeof skitai.logOff === 'function') skitai.logOff('/')
}

function firstLine(err) {
  return String(err?.message ?? err).split('\n')[0]
}
