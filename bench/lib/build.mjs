// Skitai servers import @skitai/* by name, which resolves to each package's dist/. Before a run the
// dist/ must be at least as new as src/: when it is not, `npm run build` is run first.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PACKAGES = ['was', 'engine', 'saddle']

function newestMtime(dir) {
  let newest = 0
  for (const name of readdirSync(dir)) {
    const full = join(dir, name)
    const st = statSync(full)
    newest = Math.max(newest, st.isDirectory() ? newestMtime(full) : st.mtimeMs)
  }
  return newest
}

/** Names of the packages whose dist/ is missing or older than their src/. */
export function staleDist() {
  return PACKAGES.filter((p) => {
    const dist = join(ROOT, 'packages', p, 'dist', 'index.js')
    return !existsSync(dist) || newestMtime(join(ROOT, 'packages', p, 'src')) > statSync(dist).mtimeMs
  })
}

/** Build when stale. Returns null when dist/ is fresh, or the reason it is not. */
export function ensureBuilt() {
  const stale = staleDist()
  if (stale.length === 0) return null
  console.log(`dist/ of ${stale.join(', ')} is older than src/: running npm run build`)
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' })
  if (r.status !== 0) return `npm run build failed (exit ${r.status})`
  const still = staleDist()
  return still.length ? `dist/ of ${still.join(', ')} still older than src/ after the build` : null
}
