// Command-line options of `npm run bench` (see bench/README.md).
const HELP = `usage: npm run bench -- [options]
  --quick                 CI smoke: every server and scenario, one 1-second round (servers at once), no files written
  --only <ids>            scenarios, comma-separated (hello,json,params,post,static,was-get,map,xmlrpc,idle,ws)
  --servers <ids>         servers, comma-separated (node-http,fastify,express,hono,koa,skitai-engine,saddle)
  --duration <s>          seconds per measured round (default 10)
  --warmup <s>            seconds of warm-up per server and scenario (default 3)
  --rounds <n>            measured rounds per server, alternating servers each round; the best counts (default 1)
  --pipelining <list>     pipelining factors (default 10,1)
  --connections <n>       autocannon connections (default 100)
  --idle-connections <n>  idle keep-alive connections of scenario 9 (default 10000)
  --source                run the Skitai packages from src/ through tsx instead of their dist/
  --no-build              do not rebuild a stale dist/
  --json <file>           also write the results JSON there
  --no-write              do not write bench/results/latest.json and bench/RESULTS.md`

export function parseOptions(argv) {
  const o = {
    quick: false,
    only: null,
    servers: null,
    duration: 10,
    warmup: 3,
    rounds: 1,
    pipelining: [10, 1],
    connections: 100,
    idleConnections: 10_000,
    source: false,
    build: true,
    json: null,
    write: true,
  }
  const given = new Set()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${arg} needs a value`)
      return v
    }
    const number = () => {
      const v = Number(value())
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${arg} needs a positive number`)
      return v
    }
    given.add(arg)
    switch (arg) {
      case '--quick':
        o.quick = true
        break
      case '--only':
        o.only = list(value())
        break
      case '--servers':
        o.servers = list(value())
        break
      case '--duration':
        o.duration = number()
        break
      case '--warmup':
        o.warmup = Number(value())
        break
      case '--rounds':
        o.rounds = Math.round(number())
        break
      case '--pipelining':
        o.pipelining = list(value()).map(Number)
        break
      case '--connections':
        o.connections = Math.round(number())
        break
      case '--idle-connections':
        o.idleConnections = Math.round(number())
        break
      case '--source':
        o.source = true
        break
      case '--no-build':
        o.build = false
        break
      case '--json':
        o.json = value()
        break
      case '--no-write':
        o.write = false
        break
      case '-h':
      case '--help':
        console.log(HELP)
        process.exit(0)
        break
      default:
        throw new Error(`unknown option ${arg}\n${HELP}`)
    }
  }
  if (o.quick) {
    // A few seconds in all: enough to prove every server starts, answers alike and takes load.
    if (!given.has('--duration')) o.duration = 1
    if (!given.has('--warmup')) o.warmup = 0
    // Few requests in flight: on a loaded machine (npm test runs beside other suites) each one still
    // completes within the one-second round.
    if (!given.has('--pipelining')) o.pipelining = [1]
    if (!given.has('--connections')) o.connections = 5
    if (!given.has('--idle-connections')) o.idleConnections = 200
    // a smoke run's figures are no results: bench/RESULTS.md and latest.json stay as the last real run
    // left them (--json still writes its own file)
    o.write = false
  }
  return o
}

function list(s) {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
}
