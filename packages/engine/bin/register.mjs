// `node --import @skitai/engine/register serve.ts`: runs TypeScript (and ESM-syntax JavaScript) serve
// scripts whatever the nearest package.json says, keeping handler parameter names, in a light process —
// how and why: ts-hooks.mjs.
import { register } from 'node:module'

register('./ts-hooks.mjs', import.meta.url)
