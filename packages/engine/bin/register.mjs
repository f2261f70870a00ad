// `node --import @skitai/engine/register serve.ts`: TypeScript support for Skitai apps. tsx resolves
// and loads TypeScript; ts-hooks.mjs (registered after it, so it runs first) recompiles ES-module
// TypeScript with TypeScript itself so that handler parameter names survive (see ts-hooks.mjs).
import { register } from 'node:module'
import { register as registerTsx } from 'tsx/esm/api'

registerTsx()
register('./ts-hooks.mjs', import.meta.url)
