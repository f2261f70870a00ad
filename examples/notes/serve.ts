// npx skitai examples/notes/serve.ts --port 5000, then open http://127.0.0.1:5000/
import skitai from '@skitai/engine'
import { app } from './app.ts'

skitai.mount('/', app)
skitai.run({ address: '127.0.0.1', port: 5000 })
