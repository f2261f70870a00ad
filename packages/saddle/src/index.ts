/**
 * @skitai/saddle — the app framework (SPEC §2): `new Saddle(import.meta.url)`, routes whose arguments
 * are filled by name, `was` in every handler, hooks, packages, URL building, templates, uploads.
 */
export { HttpError } from '@skitai/was'
export { ApiResult, FaultResult } from './api.js'
export { registerUpgradeHandler, Saddle, type SaddleConfig, type UpgradeHandler } from './app.js'
export {
  type AppGate,
  type AppGateFactory,
  type RouteCheckFactory,
  registerAppGate,
  registerRouteCheck,
} from './checks.js'
export type { ErrorInfo } from './error-pages.js'
export { EarlyResponse } from './hooks.js'
export type { AfterHook, BeforeHook, FailedHook, TeardownHook } from './hooks.js'
export { Wasc } from './mount-hooks.js'
export { type ErrorHandler, Package } from './package.js'
export { signatureStats } from './params.js'
export { invokeRoute } from './lifecycle/run-route.js'
export { SaddleRequest } from './request.js'
export { FileResult, RedirectResult, SaddleResponse } from './response.js'
export type { Handler, Route, RouteMatch, RouteOptions } from './route.js'
export { sanitizeFilename, type SaveOptions, UploadedFile } from './upload.js'
export { SaddleWas, stateCommitters, stateProviders, TempBag } from './was.js'

// State and security (SPEC §2.4 CORS, §2.6): these modules plug into stateProviders/stateCommitters and
// the check seams when imported.
import './state/providers.js'
import './auth/checks.js'
// WebSocket routes (SPEC §2.10): the upgrade handler and the per-route option check.
import './websocket/index.js'
export {
  LocalRooms,
  type RoomMember,
  type RoomRegistry,
  roomRegistry,
  type SaddleWebSocket,
  setRoomRegistry,
  type WebSocketOptions,
  type WebSocketSpec,
} from './websocket/index.js'

export type { AuthScheme, BearerHandler, SecuritySettings } from './auth/settings.js'
export { type CookieOptions, CookieJar } from './state/cookie.js'
export { type Message, MessageBox } from './state/mbox.js'
export { Session, type SessionMountOptions } from './state/session.js'

// The state/security modules plug into the seams above when loaded.
