export { type TxnSource, Was } from './base-was.js'
export { was, currentWas, runWithWas, wasStorage } from './context.js'
export { HttpError, isHttpError, defaultReason } from './errors.js'
export {
  PROTO_HTTP,
  PROTO_HTTPS,
  PROTO_WS,
  PROTO_WSS,
  DB_PGSQL,
  DB_SQLITE3,
  DB_REDIS,
  type AliasType,
  type AliasOptions,
  type MemberSpec,
  Cluster,
  registerAlias,
  unregisterAlias,
  makeCluster,
  getAlias,
  aliasNames,
  aliasStatus,
  parseMember,
} from './aliases.js'
export { CALL_OUTCOMES, type CallOutcome, Member } from './member.js'
export { setMaxRcache, cacheStats, cacheClear } from './cache.js'
export { enableCachefs, disableCachefs, cachefsEnabled, type CachefsOptions } from './dispatchers.js'
export { deflu, setlu, getlu, onModelChanged, LU_PREFIX } from './lu.js'
export { Task, type CollectOptions, type OneOf, type ResultFilter } from './task.js'
export {
  Result,
  ResultSet,
  type ResultStatus,
  STATUS_PENDING,
  STATUS_TIMEOUT,
  STATUS_FAILED,
  STATUS_DONE,
  FAIL_OTHER,
  FAIL_CONNECT,
  FAIL_CLOSED,
  FAIL_DNS,
  FAIL_URL,
  FAIL_DECODE,
  FAIL_CANCELLED,
  FAIL_TIMEOUT,
} from './result.js'
export type { Fault } from './codecs.js'
export { setDefaultRequestType } from './base-was.js'
export { fileFrom, type UploadFile } from './upload.js'
export { pickMember, mapMembers } from './balance.js'
export {
  CONNECT_ERRORS,
  DROP_ERRORS,
  type FailoverAction,
  failoverAction,
  IDEMPOTENT_METHODS,
  nextMember,
} from './failover.js'
export { splitAliasUrl } from './fire.js'
export type {
  RequestOptions,
  BodylessVerb,
  BodyVerb,
  RpcService,
  WsService,
  DbService,
  DbHandle,
  DbTx,
  DbOptions,
} from './services.js'
export { DbResult, DbFaultError } from './db/db-result.js'
export type { RpcProxy } from './rpc.js'
export { callChannel } from './call.js'
export {
  toXmlRpcValue,
  encodeXmlRpcCall,
  encodeXmlRpcResponse,
  encodeXmlRpcFault,
  XMLRPC_MAX_ENCODE_DEPTH,
} from './xmlrpc-values.js'
export {
  decodeXmlRpcCall,
  decodeXmlRpcReply,
  XmlRpcDecodeError,
  XMLRPC_MAX_DEPTH,
  XMLRPC_MAX_REPLY_DEPTH,
  type XmlRpcCall,
  type XmlRpcReply,
} from './xmlrpc-decode.js'
export { MAX_JSON_DEPTH, parseJsonSafely } from './safe-json.js'
export {
  type SharedState,
  type SharedValue,
  MemorySharedState,
  sharedState,
  sharedBackend,
  setSharedState,
} from './shared-state.js'
export { RedisSharedState, type RedisSharedStateOptions } from './redis-shared-state.js'
export { redisConnection } from './db/redis-driver.js'
