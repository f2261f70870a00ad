import { HttpError } from '@skitai/was'

/**
 * Thrown (internally) to end a request early with a complete answer that is not a failure: a 304/412
 * from `setEtag`/`setMtime`, or an OPTIONS preflight. Failed hooks do not run for it; teardown does.
 */
export class EarlyResponse extends HttpError {
  readonly early = true
}
