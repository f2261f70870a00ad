/**
 * RPC method names ↔ route paths (README "XML-RPC and JSON-RPC"): `add` ↔ `/add`, `math.add` ↔ `/math/add`.
 * A call posted to `/rpc2` looks for `/rpc2/add` first (the path it was posted to), then for `/add` (from
 * the app's mount point).
 */

/** A dotted method name: segments of letters, digits, `_`, `-` and `~` (what a route path segment holds). */
const METHOD_NAME = /^[A-Za-z0-9_~-]+(?:\.[A-Za-z0-9_~-]+)*$/

/** `math.add` → `/math/add`; null for a name that cannot be a route path (then it is "no such method"). */
export function methodToPath(methodName: string): string | null {
  if (methodName.length > 512 || !METHOD_NAME.test(methodName)) return null
  return `/${methodName.replaceAll('.', '/')}`
}

/** A static route path → its method name relative to `base` (`/rpc2/math/add` under `/rpc2` → `math.add`). */
export function pathToMethod(path: string, base: string): string | null {
  if (base !== '' && !path.startsWith(`${base}/`)) return null
  let rest = path.slice(base.length + 1)
  if (rest.endsWith('/')) rest = rest.slice(0, -1) // '/items/' is the method 'items'
  if (rest === '') return null
  const name = rest.replaceAll('/', '.')
  return METHOD_NAME.test(name) ? name : null
}

/**
 * The path the call was posted to, relative to the app and without a trailing slash: '' for the mount
 * point itself. ('/rpc2/' and '/rpc2' both give '/rpc2'.)
 */
export function postedBase(appRelativePath: string): string {
  let p = appRelativePath
  while (p.endsWith('/')) p = p.slice(0, -1)
  return p
}

/**
 * The candidate route paths for a method, in the order they are tried: under the posted path, then from
 * the mount point; each also with a trailing slash, for routes registered as '/items/'.
 */
export function candidatePaths(methodPath: string, base: string): string[] {
  return base === ''
    ? [methodPath, `${methodPath}/`]
    : [base + methodPath, `${base}${methodPath}/`, methodPath, `${methodPath}/`]
}
