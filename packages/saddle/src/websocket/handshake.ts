/**
 * The WebSocket handshake of a Saddle route (README "WebSocket routes"). The handshake is one request
 * through the app's checks, in this order:
 *   1. protocol: a GET (405), `Host` (400), a well-formed `Sec-WebSocket-Key` (400), version 13 (400
 *      with `Sec-WebSocket-Version: 13`);
 *   2. the app gates (app-wide authentication: 401 with the challenge; app-wide CORS);
 *   3. the route's checks: `Origin` as for CORS (403; a request without `Origin` — not a browser —
 *      passes unless `requireOrigin`), route `authenticate` (401);
 *   4. the hook layers around the accept: before hooks (a returned value refuses the handshake with it),
 *      guards (loginRequired, permissionRequired, testpass), the arguments from the URL variables and
 *      the query string (400 for a missing or unexpected one; groupchat without its room → 400), the
 *      `wsinit` event, then after and teardown hooks — once, for the handshake, never per message.
 * A refusal is written by the app's ordinary writer (JSON or HTML error page) and logged; an accepted
 * handshake gets its 101 with the cookies set on the way, and one log line when the session ends.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { RequestContext, UpgradeControl } from '@skitai/engine'
import { HttpError } from '@skitai/was'
import type { LifecycleApp } from '../lifecycle/app-of.js'
import { mergeArgs } from '../args.js'
import { runLayers } from '../lifecycle/hook-layers.js'
import { isThenable } from '../thenable.js'
import { runUntilAnswer } from '../lifecycle/run-until-answer.js'
import type { Route } from '../route.js'
import { SaddleWas } from '../saddle-was.js'
import { writeError, writeResult } from '../writer.js'
import { type WsRouteConfig, wsConfigOf } from './options.js'
import { WebSocketConnection, WS_INIT } from './session.js'

const KEY_RE = /^[+/0-9A-Za-z]{22}==$/
const ACCEPTED: unique symbol = Symbol('saddle.wsAccepted')

/**
 * The upgrade handler of every Saddle app: takes the socket for a WebSocket route and runs the
 * handshake; anything else (no control, no such route, not a WebSocket route) is left to the engine,
 * which answers it as a plain request (404, or the route's own answer).
 */
export function takeUpgrade(
  app: LifecycleApp,
  req: IncomingMessage,
  _socket: Duplex,
  _head: Buffer,
  ctx: RequestContext,
  control?: UpgradeControl,
): boolean {
  if (control === undefined || ctx.path === '') return false
  app.ensureCompiled()
  const found = app.findRoute(ctx.path)
  if (found === null || found.kind !== 'match') return false
  const route = found.value.group.forMethod(req.method ?? 'GET')
  const config = route === null ? undefined : wsConfigOf(route)
  if (config === undefined) return false
  void handshake(app, route!, config, found.params, req, ctx, control)
  return true
}

async function handshake(
  app: LifecycleApp,
  route: Route,
  config: WsRouteConfig,
  params: Record<string, string | number>,
  req: IncomingMessage,
  ctx: RequestContext,
  control: UpgradeControl,
): Promise<void> {
  const res = control.response
  const was = new SaddleWas(app, req, res, ctx)
  was.enterRoute(route, params)
  try {
    checkProtocol(req)
    const gated = await runUntilAnswer(app.appGates, was, undefined, null)
    if (gated !== undefined) return await refuse(was, gated)
    if (config.requireOrigin && req.headers.origin === undefined) {
      throw new HttpError(403, 'Forbidden', { detail: 'this WebSocket route requires an Origin header' })
    }
    const plan = route.plan!
    const checked = await runUntilAnswer(plan.checksBeforeBody, was, route, null)
    if (checked !== undefined) return await refuse(was, checked)
    let ws: WebSocketConnection | null = null
    const inner = async (w: SaddleWas): Promise<unknown> => {
      if (plan.guards !== null) {
        const refused = await runUntilAnswer(plan.guards, w, route, null)
        if (refused !== undefined) return refused
      }
      // arguments are bound where the handler would be called: after the before hooks, as for HTTP
      const { values, room } = handshakeArgs(was, route, config, params)
      ws = new WebSocketConnection(was, control.clientId, route, config, values, room)
      was.attachWebSocket(ws)
      if (config.events) {
        const r = ws.event(WS_INIT)
        if (isThenable(r)) await r
      }
      return ACCEPTED
    }
    const result = plan.layers === null ? await inner(was) : await runLayers(was, plan.layers, 0, inner)
    if (result !== ACCEPTED || ws === null) return await refuse(was, result)
    const opened: WebSocketConnection = ws
    await was.commitState()
    // headers set on the way (cookies, a session) go into the 101
    const headers = was.builtResponse?.headerMap
    if (headers !== undefined) for (const k in headers) res.setHeader(k, headers[k]!)
    control.accept(
      {
        maxMessageSize: config.maxMessageSize,
        idleTimeout: config.idleMs,
        pingInterval: config.pingMs,
        maxQueue: config.maxQueue,
      },
      (session) => {
        if (session === null) was.close()
        else opened.opened(session)
      },
    )
  } catch (e) {
    await writeError(was, e).catch((e2) => {
      app.logError(e2, was, 'could not write the WebSocket refusal')
      req.socket.destroy()
    })
    was.close()
  }
}

async function refuse(was: SaddleWas, value: unknown): Promise<void> {
  await writeResult(was, value)
  was.close()
}

function checkProtocol(req: IncomingMessage): void {
  if (req.method !== 'GET') {
    throw new HttpError(405, 'a WebSocket handshake must be a GET request', { headers: { Allow: 'GET' } })
  }
  const h = req.headers
  if (h.host === undefined || h.host === '') throw new HttpError(400, 'missing Host header')
  const key = h['sec-websocket-key']
  if (key === undefined || !KEY_RE.test(key)) throw new HttpError(400, 'missing or invalid Sec-WebSocket-Key header')
  if (h['sec-websocket-version'] !== '13') {
    throw new HttpError(400, 'unsupported Sec-WebSocket-Version: this server speaks version 13', {
      headers: { 'Sec-WebSocket-Version': '13' },
    })
  }
}

/** The handler's arguments after `was` (message slot first) and the room key; HttpError(400) when one is missing. */
function handshakeArgs(
  was: SaddleWas,
  route: Route,
  config: WsRouteConfig,
  params: Record<string, string | number>,
): { values: unknown[]; room: string | null } {
  const search = was.requestContext.search
  const merged = mergeArgs(params, search === '' ? null : was.request.query, null)
  let room: string | null = null
  if (config.roomParam !== null) {
    const name = config.roomParam
    const v = merged[name]
    if (v === undefined || v === '')
      throw new HttpError(400, `missing parameter: ${name} (the room of this groupchat route)`)
    if (Array.isArray(v)) throw new HttpError(400, `one room per connection: ${name} is given ${v.length} times`)
    // rooms are per route: the same room id on two routes names two rooms
    room = `${was.app.name}\u0000${route.fullName}\u0000${String(v)}`
  }
  // the message slot: filled per message, never from the query
  if (config.messageParam !== null) merged[config.messageParam] = ''
  return { values: route.builder.build(merged), room }
}
