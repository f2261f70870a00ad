import type nunjucks from 'nunjucks'
import type { ApiResult } from './api.js'
import type { SaddleApp, WasScope } from './contract.js'
import { isThenable } from './thenable.js'
import { nunjucksLib } from './lazy-app-libs.js'

/**
 * The app's nunjucks environment over `templates/` beside the app plus `app.templateDirs`, autoescape
 * on; created on first use (packages share their app's).
 */
export function createEnvironment(app: SaddleApp): nunjucks.Environment {
  const { Environment, FileSystemLoader } = nunjucksLib()
  const loader = new FileSystemLoader([app.templatesDir, ...app.templateDirs], {
    noCache: app.debug,
  })
  return new Environment(loader, { autoescape: true, throwOnUndefined: false })
}

/**
 * Awaits every Task or Promise value of `context` at once — a value with `getwait` is a Task and
 * becomes its Result; a thenable becomes its value — so backend calls fired in the handler are
 * collected here, in parallel (the original's "fire in the controller, getwait in the template").
 */
export async function resolveContext(context: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { ...context }
  let keys: string[] | null = null
  let waits: Promise<unknown>[] | null = null
  for (const k of Object.keys(out)) {
    const v = out[k] as any
    if (v === null || typeof v !== 'object') continue
    let p: Promise<unknown> | null = null
    if (typeof v.getwait === 'function') p = Promise.resolve(v.getwait())
    else if (isThenable(v)) p = Promise.resolve(v)
    if (p !== null) {
      ;(keys ??= []).push(k)
      ;(waits ??= []).push(p)
    }
  }
  if (waits !== null) {
    const values = await Promise.all(waits)
    for (let i = 0; i < keys!.length; i++) out[keys![i]!] = values[i]
  }
  return out
}

export async function renderTemplate(was: WasScope, name: string, context: Record<string, unknown>): Promise<string> {
  const ctx = await resolveContext(context)
  ctx.was = was
  ctx.app = was.app
  const tmpl = was.app.getTemplate(name)
  return new Promise((resolve, reject) => {
    tmpl.render(ctx, (err, out) => (err ? reject(err) : resolve(out ?? '')))
  })
}

export async function renderOrApi(
  was: WasScope,
  template: string,
  data: Record<string, unknown>,
  status: number | undefined,
): Promise<string | ApiResult> {
  const accept = was.rawHeader('accept')
  if (accept?.includes('text/html')) {
    if (status !== undefined) was.response.status(status)
    return renderTemplate(was, template, data)
  }
  return was.API(await resolveContext(data), status)
}
