// A resolve hook that adds the 'skitai-source' export condition, so `@skitai/*` resolve to their
// TypeScript sources. The skitai command registers it when the packages have not been built (or with
// SKITAI_SOURCE=1): `npm start` then works on a fresh clone right after `npm install`.
export async function resolve(specifier, context, next) {
  if (context.conditions.includes('skitai-source')) return next(specifier, context)
  return next(specifier, { ...context, conditions: [...context.conditions, 'skitai-source'] })
}
