// The RPC example (saddle README "XML-RPC and JSON-RPC"): the same handlers used from a browser (GET), curl (form POST) and
// Python's xmlrpc.client (or any XML-RPC / JSON-RPC client) — no RPC-specific code anywhere.
//
//   npx skitai examples/rpc/serve.ts --port 5000
//   browser:  http://127.0.0.1:5000/            (a form that GETs /add)
//             http://127.0.0.1:5000/add?num1=4&num2=10
//   curl:     curl -d num1=4 -d num2=10 http://127.0.0.1:5000/add
//   Python:   xmlrpc.client.ServerProxy('http://127.0.0.1:5000/rpc2').add(4, 10)  # → 14
import skitai from '@skitai/engine'
import { Saddle } from '@skitai/saddle'

const app = new Saddle(import.meta.url, { name: 'rpc' })

app.route('/', (_was) => PAGE)

app.route('/add', (_was, num1, num2) => {
  'add(num1, num2): the sum of two numbers.'
  // Over GET and forms the values are strings; over XML-RPC/JSON-RPC they keep their types.
  return Number(num1) + Number(num2)
})

app.route('/math/stats', { doc: 'math.stats(numbers): count, sum and mean of a list of numbers.' }, (_was, numbers) => {
  // GET /math/stats?list:numbers=1,2,3 — the `list:` prefix splits; RPC passes a real array.
  const list = (Array.isArray(numbers) ? numbers : [numbers]).map(Number)
  const sum = list.reduce((a, b) => a + b, 0)
  return { count: list.length, sum, mean: list.length === 0 ? null : sum / list.length }
})

app.route('/secret', { authenticate: 'basic' }, (was) => `hello ${was.request.user}`)
app.users = { admin: 'change-me' }

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Skitai RPC example</title></head>
<body>
<h1>add</h1>
<form action="add" method="get">
  <input name="num1" value="4"> + <input name="num2" value="10"> <button type="submit">=</button>
</form>
<p>The same handler answers curl (<code>curl -d num1=4 -d num2=10 …/add</code>) and
<code>xmlrpc.client.ServerProxy('…/rpc2').add(4, 10)</code>.</p>
</body></html>`

skitai.mount('/', app)
skitai.run({ address: '127.0.0.1', port: 5000 })
