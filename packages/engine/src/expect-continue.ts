import { IncomingMessage, type ServerResponse } from 'node:http'
import { contentLengthOf } from './body.js'
import type { EngineCore } from './engine-core.js'
import { handleRequest } from './pipeline.js'

/** `Expect: 100-continue`: send 100 and go on, unless the declared body is over the limit (413, no 100). */
export function handleCheckContinue(engine: EngineCore, req: IncomingMessage, res: ServerResponse): void {
  if (contentLengthOf(req) > engine.prefs.maxClientBodySize) {
    handleRequest(engine, req, res, true)
    return
  }
  continueOnRead(req, res)
  handleRequest(engine, req, res)
}

const nodeRead = (IncomingMessage.prototype as any)._read as (n: number) => void

/**
 * Send `100 Continue` only when someone starts reading the body: an app that refuses it first (its own
 * lower limit, a failed auth check) answers instead of the 100, and the client never sends the body.
 */
function continueOnRead(req: IncomingMessage, res: ServerResponse): void {
  const r = req as IncomingMessage & { _read: (n: number) => void }
  r._read = function readAfterContinue(this: IncomingMessage, n: number): void {
    r._read = nodeRead
    if (!res.headersSent && !res.writableEnded) res.writeContinue()
    nodeRead.call(this, n)
  }
}
