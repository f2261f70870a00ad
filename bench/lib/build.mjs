// Skitai servers import @skitai/* by name, which resolves to each package's dist/. A run therefore
// starts with `npm run build` (turbo and tsc -b make that a few seconds when nothing changed; an
// mtime comparison of src/ and dist/ was tried and misfires, as tsc does not rewrite unchanged output).
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Build the packages. Returns null on success, or why the build cannot be used. */
export function ensureBuilt() {
  console.log('building the Skitai packages (npm run build)')
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
  return r.status === 0 ? null : `npm run build failed (exit ${r.status})`
}
