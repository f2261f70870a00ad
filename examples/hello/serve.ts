// The hello example (README "Running an app"): `npm start`, or `npx skitai examples/hello/serve.ts --port 5001`.
//   curl http://127.0.0.1:5000/hello/100                  → num is 100
//   curl 'http://127.0.0.1:5000/add?num1=1&num2=2'         → 3
//   curl -d num1=4 -d num2=10 http://127.0.0.1:5000/add    → 14
//   python3 -c "import xmlrpc.client as x; print(x.ServerProxy('http://127.0.0.1:5000/').add(4, 10))"  → 14
//   curl http://127.0.0.1:5000/static/index.html          → a static file
import skitai from '@skitai/engine'
import { Saddle } from '@skitai/saddle'

const app = new Saddle(import.meta.url, { name: 'hello' })

app.route('/', (was) => 'Hello World')
app.route('/hello/<int:num>', (was, num = 8) => `num is ${num}`)
app.route('/add', (was, num1, num2) => Number(num1) + Number(num2))
app.route('/links', (was) => ({ add: was.ab('add', 10, 40), hello: was.ab('hello', 3) }))

skitai.mount('/', app)
skitai.mount('/static', './static')
skitai.run({ address: '127.0.0.1', port: 5000 })
