/**
 * @skitai/saddle — the app framework (README): `new Saddle(import.meta.url)`, routes whose arguments
 * are filled by name, `was` in every handler, hooks, packages, URL building, templates, uploads.
 */
export { HttpError } from '@skitai/was'
export { ApiResult, FaultResult } from './api.js'
export { Saddle } from './app.js'
export type { SaddleApp, SaddleConfig, RouteInfo } from './contract.js'
export { type AppGate, PLAIN_HTTP_ONLY } from './plugin.js'
export type { SaddlePlugin } from './app.js'
export type { ErrorInfo } from './error-pages.js'
export { EarlyResponse } from './early-response.js'
export type { AfterHook, BeforeHook, FailedHook, TeardownHook } from './hooks.js'
export { Wasc } from './mount-hooks.js'
export { type ErrorHandler, Package } from './package.js'
export type { OpenApiPageOptions } from './openapi/page.js'
export type {
  JsonSchema,
  OpenApiDocument,
  OpenApiInfo,
  OpenApiOperation,
  OpenApiParameter,
  ParamType,
} from './openapi/types.js'
export { signatureStats } from './signature.js'
export { invokeRoute } from './lifecycle/run-route.js'
export { SaddleRequest } from './request.js'
export { FileResult, RedirectResult, SaddleResponse } from './response.js'
export type { Handler, Route, RouteMatch, RouteOptions } from './route.js'
export type { RouteHandler, RuleVarNames, RuleVars } from './route-types.js'
export { sanitizeFilename, type SaveOptions, UploadedFile } from './upload.js'
export { SaddleWas } from './saddle-was.js'
export { TempBag } from './temp-bag.js'
export {
  LocalRooms,
  type RoomMember,
  type RoomRegistry,
  roomRegistry,
  type SaddleWebSocket,
  setRoomRegistry,
  type WebSocketOptions,
  type WebSocketSpec,
  websocketRoutes,
} from './websocket/index.js'

export type { AuthScheme, BearerHandler, SecuritySettings } from './auth/settings.js'
export { type CookieOptions, CookieJar } from './state/cookie.js'
export { type Message, MessageBox } from './state/mbox.js'
export { Session, type SessionMountOptions } from './state/session.js'
export type { StateServices } from './state/services.js'
export { securityChecks } from './auth/checks.js'
export type { RouteCheck } from './route.js'
