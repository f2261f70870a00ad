// The Saddle hello app (SPEC §0 without the backend part):
//   npx skitai examples/saddle-hello/serve.ts --port 5000
//   curl http://127.0.0.1:5000/hello/100       → num is 100
//   curl 'http://127.0.0.1:5000/add?num1=1&num2=2'   → 3
import skitai from '@skitai/engine'
import { Saddle } from '@skitai/saddle'

const app = new Saddle(import.meta.url, { name: 'hello' })

app.route('/', (_was) => 'Hello World')
app.route('/hello/<int:num>', (_was, num = 8) => `num is ${num}`)
app.route('/add', (_was, num1, num2) => Number(num1) + Number(num2))
app.route('/links', (was) => ({ add: was.ab('add', 10, 40), hello: was.ab('hello', 3) }))

skitai.mount('/', app)
skitai.run({ address: '127.0.0.1', port: 5000 })
