import type { SaddleWas } from '../saddle-was.js'
import { type CallOutcome, callRoute, type RpcApp, type RpcInput } from './dispatch.js'
import { badRequest, noSuchMethod } from './failure.js'
import { type ListingApp, listMethods, methodHelp, multicall } from './system.js'

/**
 * One call by name: the `system.*` methods, else a route. Shared by XML-RPC and JSON-RPC (both answer
 * system.listMethods/methodHelp; multicall is XML-RPC's batch, JSON-RPC has real batches). Between calls
 * of a batch the response status is reset, so one call's `was.response.status(401)` does not leak.
 */
export async function callMethod(
  app: ListingApp,
  was: SaddleWas,
  base: string,
  methodName: string,
  input: RpcInput,
  allowMulticall: boolean,
): Promise<CallOutcome> {
  switch (methodName) {
    case 'system.listMethods':
      return { ok: true, value: listMethods(app, base) }
    case 'system.methodHelp': {
      const name = 'positional' in input ? input.positional[0] : input.args.name
      if (typeof name !== 'string') return { ok: false, failure: badRequest('system.methodHelp takes a method name') }
      const help = methodHelp(app, base, name)
      return help === null ? { ok: false, failure: noSuchMethod(name) } : { ok: true, value: help }
    }
    case 'system.multicall': {
      if (!allowMulticall) break
      const calls = 'positional' in input ? input.positional[0] : input.args.calls
      const r = await multicall(calls, (name, params) => {
        resetStatus(was)
        return callMethod(app, was, base, name, { positional: params }, false)
      })
      return typeof r === 'string' ? { ok: false, failure: badRequest(r) } : { ok: true, value: r }
    }
  }
  return callRoute(app as RpcApp, was, base, methodName, input)
}

/** Undo a previous call's status so each call of a batch starts from 200. */
export function resetStatus(was: SaddleWas): void {
  was.response.resetStatus()
}
