/**
 * `was.API(data, status)`: a JSON answer (XML-RPC encoded when the request's `Accept` starts with
 * `text/xml`). Returned from a handler; the writer serializes it.
 */
export class ApiResult {
  constructor(
    readonly data: unknown,
    /** null: the response's status (200, or the error's status inside an error handler). */
    readonly status: number | null,
  ) {}
}

/**
 * `was.Fault(status, message, code?, debug?, moreInfo?)`: a JSON error body `{code, message, debug?,
 * moreInfo?}` with HTTP status `status` (`code` defaults to the status).
 */
export class FaultResult {
  readonly body: { code: number; message: string; debug?: unknown; moreInfo?: unknown }
  constructor(
    readonly status: number,
    message: string,
    code?: number,
    debug?: unknown,
    moreInfo?: unknown,
  ) {
    this.body = { code: code ?? status, message }
    if (debug !== undefined) this.body.debug = debug
    if (moreInfo !== undefined) this.body.moreInfo = moreInfo
  }
}
