/**
 * WebSocket routes (README "WebSocket routes"): `app.route(path, { websocket: { spec, … } }, handler)`.
 * The Saddle constructor installs `websocketRoutes` (a plugin, see ../plugin.ts) and answers upgrades
 * with handshake.ts `takeUpgrade`: the plugin's route check compiles each route's `websocket` option
 * when the app is compiled and answers a plain HTTP request to a WebSocket route with 426 Upgrade
 * Required.
 */
import { HttpError } from '@skitai/was'
import { PLAIN_HTTP_ONLY, type PluginOf } from '../plugin.js'
import type { RouteCheck } from '../route.js'
import { compileWsConfig } from './options.js'

export const websocketRoutes: PluginOf<object> = {
  name: 'websocket',
  beforeBodyCheck(route) {
    if (route.options.websocket === undefined) return null
    compileWsConfig(route)
    const check: RouteCheck = () => {
      throw new HttpError(426, 'Upgrade Required', {
        detail: `${route.path} takes WebSocket connections only`,
        headers: { Upgrade: 'websocket', Connection: 'Upgrade' },
      })
    }
    ;(check as { [PLAIN_HTTP_ONLY]?: boolean })[PLAIN_HTTP_ONLY] = true
    return check
  },
}

export type { WebSocketOptions, WebSocketSpec } from './options.js'
export { LocalRooms, type RoomMember, type RoomRegistry, roomRegistry, setRoomRegistry } from './rooms.js'
export type { SaddleWebSocket } from '../contract.js'
