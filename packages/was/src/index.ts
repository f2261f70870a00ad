export { Was } from './was.js'
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
  parseMember,
} from './aliases.js'
export { Member } from './member.js'
export { setMaxRcache, cacheStats, cacheClear } from './cache.js'
export { enableCachefs, disableCachefs, cachefsEnabled, type CachefsOptions } from './dispatchers.js'
export { deflu, setlu, getlu, onModelChanged, setLuStore, getLuStore, MemoryLuStore, type LuStore } from './lu.js'
