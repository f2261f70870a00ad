/**
 * A request the engine answered in Saddle's place: the handler deadline's 503, or the 500 of an error
 * that escaped the handler (engine `RequestHolder`, README "Hooks, errors, guards, events, lifecycle").
 * The handler may never settle, so what the request's end would have run runs here instead, once: the
 * teardown hooks of the hook layers entered and not yet torn down (innermost first), the `was.temp`
 * `except` and `end` callbacks, then `was.close()` (backend calls cancelled, temporary uploads removed).
 * The handler's late result is ignored: `was.abandoned` stops the walk (handle-request.ts `end`,
 * hook-layers.ts, route-plan.ts `callHandler`).
 */
import type { SaddleWas } from '../saddle-was.js'
import { finishTemp } from './run-route.js'
import { runEachLogged } from './run-until-answer.js'

export async function releaseAbandoned(was: SaddleWas, reason: unknown): Promise<void> {
  try {
    const owed = was.takePendingTeardowns()
    if (owed !== null) {
      for (let i = owed.length - 1; i >= 0; i--)
        await runEachLogged(owed[i]!.teardown!, was, undefined, 'teardownRequest hook failed')
    }
    await finishTemp(was, false, reason)
  } catch (e) {
    was.app.logError(e, was, 'releasing an abandoned request')
  } finally {
    was.close()
  }
}
