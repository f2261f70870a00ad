// `npx skitai examples/chat/serve.ts`, then open http://127.0.0.1:5000/ in two browsers
import skitai from '@skitai/engine'
import { app } from './app.js'

skitai.mount('/', app)
skitai.run({ address: '127.0.0.1', port: 5000 })
