// `npx skitai examples/login/serve.ts` (or `npx tsx examples/login/serve.ts`)
import skitai from '@skitai/engine'
import { app } from './app.js'

skitai.mount('/', app)
skitai.run({ address: '127.0.0.1', port: 5000 })
