/**
 * The base `was` object: one per request, with a fixed shape (every field assigned in the constructor)
 * and everything else lazy. The backend services of SPEC §3 (get/post/…/rpc/jsonrpc/ws/db with .lb and
 * .map, setlu/getlu) are defined on this class; Saddle's handler context extends it with request,
 * response, session and so on.
 */
export class Was {
  /** Global transaction id of the request being handled (from `X-Gtxn-Id` or new). */
  readonly gtxnid: string
  /** Local transaction id: the caller's `X-Ltxn-Id` + 1000, or 1000. */
  readonly ltxnid: number
  /** How many outgoing requests this `was` has made (their ids are ltxnid + 1, + 2, …). */
  protected _txnSeq: number

  constructor(gtxnid: string, ltxnid: number) {
    this.gtxnid = gtxnid
    this.ltxnid = ltxnid
    this._txnSeq = 0
  }

  /** `gtxid/ltxid`, as logged. */
  txnid(): string {
    return `${this.gtxnid}/${this.ltxnid}`
  }

  /** Headers for the next outgoing request: X-Gtxn-Id and X-Ltxn-Id = local id + n. */
  nextTxnHeaders(): { 'x-gtxn-id': string; 'x-ltxn-id': string } {
    this._txnSeq++
    return { 'x-gtxn-id': this.gtxnid, 'x-ltxn-id': String(this.ltxnid + this._txnSeq) }
  }

  /**
   * Called by the engine (or Saddle) when the request has ended: cancels backend requests that were
   * fired but never collected, returning their connections to the pool.
   */
  close(): void {}
}
