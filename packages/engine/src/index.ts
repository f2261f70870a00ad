/**
 * @skitai/engine — the server core. The default export is the `skitai` namespace of the serve script
 * (README "Running an app", engine README "Mounting"): one default Engine whose methods are bound, plus the alias type constants, the Engine
 * class and the test client.
 */
import { DB_PGSQL, DB_REDIS, DB_SQLITE3, HttpError, PROTO_HTTP, PROTO_HTTPS, PROTO_WS, PROTO_WSS } from '@skitai/was'
import { Engine, testClient } from './engine.js'

export * from './contract.js'
export { HttpError }
export {
  Engine,
  type EngineOptions,
  type ListenOptions,
  type MountOptions,
  type Prefs,
  type RunOptions,
} from './engine.js'
export { type BodyCallback, collectBody, readBody } from './body-reader.js'
export { type ConditionalResult, evaluateConditional } from './conditional.js'
export {
  type CompressionOptions,
  CompressionSettings,
  type ContentEncoding,
  DEFAULT_TYPES as COMPRESSIBLE_TYPES,
} from './compression.js'
export {
  type AnswerHeaders,
  answerPrecondition,
  answerRange,
  chooseEncoding,
  writeBodyAnswer,
} from './response-body.js'
export { contentRange, evaluateRange, type RangeAnswer } from './range.js'
export { EngineRequestContext } from './request-context.js'
export { writeWholeAnswer } from './response.js'
export { handlerScope } from './handler-scope.js'
export {
  TestClient,
  TestResponse,
  type TestRequestOptions,
  type SendOptions,
  type UploadFile,
  type LaunchOptions,
} from './test-client.js'
// cli.xmlrpc(path) / cli.jsonrpc(path) on TestClient (README "Test client")
import './test-client-rpc.js'
export { RpcFault, RpcHttpError, type RpcProxy, type RpcClientOptions } from './test-client-rpc.js'
// cli.ws(path) on TestClient (README "Test client")
import './test-client-ws.js'
export { TestWebSocket, WebSocketRefused, type CloseInfo, type TestWebSocketOptions } from './test-client-ws.js'
export type { NodeListener, FetchHandler, MountableApp } from './targets.js'
export { parseArgs, formatHelp, type OptionSpec, type ParsedArgs } from './cli-options.js'
export type { UseRedisOptions } from './use-redis.js'

const constants = { PROTO_HTTP, PROTO_HTTPS, PROTO_WS, PROTO_WSS, DB_PGSQL, DB_SQLITE3, DB_REDIS } as const

export interface SkitaiNamespace extends Engine {
  readonly PROTO_HTTP: typeof PROTO_HTTP
  readonly PROTO_HTTPS: typeof PROTO_HTTPS
  readonly PROTO_WS: typeof PROTO_WS
  readonly PROTO_WSS: typeof PROTO_WSS
  readonly DB_PGSQL: typeof DB_PGSQL
  readonly DB_SQLITE3: typeof DB_SQLITE3
  readonly DB_REDIS: typeof DB_REDIS
  readonly Engine: typeof Engine
  readonly HttpError: typeof HttpError
}

function makeNamespace(): SkitaiNamespace {
  const engine = new Engine({ argv: process.argv.slice(2) })
  // bind every method so `const { mount } = skitai` works as well as `skitai.mount`
  for (const key of Object.getOwnPropertyNames(Engine.prototype)) {
    const d = Object.getOwnPropertyDescriptor(Engine.prototype, key)
    if (key !== 'constructor' && typeof d?.value === 'function') (engine as any)[key] = d.value.bind(engine)
  }
  const ns = Object.assign(engine, constants, { Engine, HttpError })
  return ns as unknown as SkitaiNamespace
}

const skitai: SkitaiNamespace = makeNamespace()
export default skitai
export { testClient }
