import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestContext } from './contract.js'

/**
 * `skitai.mount('/search', '@alias')`: a load-balanced reverse proxy to the alias's members (SPEC §3.3).
 * Written by the was engineer; until then mounting an alias fails loudly at mount time.
 */
export function createAliasProxy(
  target: string,
): (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void {
  throw new Error(`cannot mount ${target}: the @alias reverse proxy is not built yet`)
}
