/**
 * WebSocket routes (README "WebSocket routes"): `app.route(path, { websocket: { spec, … } }, handler)`.
 * Importing this module wires them into every Saddle app: the upgrade handler (handshake.ts) and a
 * route check that compiles each route's `websocket` option when the app is compiled and answers a
 * plain HTTP request to a WebSocket route with 426 Upgrade Required.
 */
import { HttpError } from '@skitai/was'
import { registerUpgradeHandler } from '../app.js'
import { registerRouteCheck } from '../checks.js'
import type { RouteCheck } from '../route.js'
import { takeUpgrade, WS_ONLY } from './handshake.js'
import { compileWsConfig } from './options.js'

registerUpgradeHandler(takeUpgrade)

registerRouteCheck('beforeBody', (route) => {
  if (route.options.websocket === undefined) return null
  compileWsConfig(route)
  const check: RouteCheck = () => {
    throw new HttpError(426, 'Upgrade Required', {
      detail: `${route.path} takes WebSocket connections only`,
      headers: { Upgrade: 'websocket', Connection: 'Upgrade' },
    })
  }
  ;(check as any)[WS_ONLY] = true
  return check
})

export type { WebSocketOptions, WebSocketSpec } from './options.js'
export { LocalRooms, type RoomMember, type RoomRegistry, roomRegistry, setRoomRegistry } from './rooms.js'
export type { SaddleWebSocket } from './session.js'
