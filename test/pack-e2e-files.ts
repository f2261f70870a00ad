// What test/pack-e2e.test.ts writes into each fresh project: the serve script, the tsconfig.json of
// README "Use it in your own project" (the same text), and a file of deliberate type errors.

/** ESM imports, a class app with TC39 decorators (a route per method, a hook), a plain route. */
export const SERVE_TS = `import skitai from '@skitai/engine'
import { Saddle, type SaddleWas } from '@skitai/saddle'

const app = new Saddle(import.meta.url, { name: 'site' })
const seen: string[] = []

class Site {
  label = 'num'

  @app.route('/hello/<int:num>')
  hello(was: SaddleWas, num: number) {
    return \`\${this.label} is \${num + 1}\`
  }

  @app.route('/greet/<name>')
  greet(was: SaddleWas, name: string, punct = '!') {
    return \`Hello, \${name}\${punct}\`
  }

  @app.route('/sum', { methods: ['POST'] })
  sum(was: SaddleWas, a: number, b: number) {
    return { sum: a + b }
  }

  @app.beforeRequest
  before(was: SaddleWas) {
    seen.push(was.request.path)
  }
}
new Site()

app.route('/seen', (was) => seen.join(','))
app.route('/double/<int:n>', (was, n) => n * 2)

skitai.mount('/', app)
skitai.run({ address: '127.0.0.1', port: 5000 })
`

/** README "Use it in your own project": tsconfig.json. */
export const TSCONFIG = `{
  "compilerOptions": {
    "target": "es2022",
    "module": "preserve",
    "moduleResolution": "bundler",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": true,
    "types": ["node"]
  },
  "include": ["*.ts"]
}
`

/**
 * Each line ending in `// WRONG` must be a type error, and no other line may be one: if the packages'
 * types were missing or `any`, these lines would compile.
 */
export const BAD_TS = `import skitai from '@skitai/engine'
import { Saddle } from '@skitai/saddle'

const app = new Saddle(import.meta.url)
app.route('/n/<int:num>', (was, num) => {
  const text: string = num // WRONG
  return text
})
app.route('/s/<name>', (was, name) => name.toFixed(2)) // WRONG
app.route('/k', async (was) => {
  const value: number | undefined = was.session.get<string>('k') // WRONG
  const r = await was.get<{ a: number }>('http://127.0.0.1:1/').getwait()
  const a: string = r.data.a // WRONG
  return [value, a]
})
const template: number = app.getTemplate('index.html') // WRONG
skitai.run({ port: 'five thousand' }) // WRONG
skitai.mount(42) // WRONG
export { template }
`

/** The 1-based line numbers of BAD_TS marked WRONG. */
export function badLines(): number[] {
  return BAD_TS.split('\n').flatMap((line, i) => (line.endsWith('// WRONG') ? [i + 1] : []))
}
