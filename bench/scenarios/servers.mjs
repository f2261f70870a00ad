// The servers under test. Every script is in bench/servers/; `skitai` ones import @skitai/* by name.
export const SERVERS = [
  { id: 'node-http', label: 'node:http', script: 'node-http.mjs' },
  { id: 'fastify', label: 'Fastify 5', script: 'fastify.mjs' },
  { id: 'express', label: 'Express 5', script: 'express.mjs' },
  { id: 'hono', label: 'Hono (node-server)', script: 'hono.mjs' },
  { id: 'koa', label: 'Koa 3', script: 'koa.mjs' },
  { id: 'skitai-engine', label: 'Skitai engine + node listener', script: 'skitai-engine.mjs', skitai: true },
  { id: 'saddle', label: 'Skitai Saddle', script: 'saddle.mjs', skitai: true },
  // Scenario 6's baseline: the same Saddle app whose /backend calls undici `request` itself.
  {
    id: 'saddle-undici',
    label: 'Saddle, undici direct',
    script: 'saddle.mjs',
    skitai: true,
    env: { BENCH_BACKEND_MODE: 'undici' },
    only: ['was-get'],
  },
  // The cost of counting: the same Saddle app with enableMetrics and enableStatus on (README "Status page
  // and metrics"); opt-in (scenarios/index.mjs OPT_IN): `npm run bench -- --only hello --servers
  // saddle,saddle-metrics`, or `node bench/paired.mjs --only hello --servers saddle,saddle-metrics`.
  {
    id: 'saddle-metrics',
    label: 'Saddle + enableMetrics',
    script: 'saddle.mjs',
    skitai: true,
    env: { BENCH_METRICS: '1' },
  },
  // Before/after a change: BENCH_BEFORE=<dir> adds the same Saddle app served by an earlier build kept in
  // <dir> (a copy holding bench/servers/ and node_modules/@skitai/* of the earlier commit), so that
  // `node bench/paired.mjs --servers saddle-before,saddle` loads both at once (bench/README.md).
  ...(process.env.BENCH_BEFORE
    ? [
        {
          id: 'saddle-before',
          label: 'Skitai Saddle (earlier build)',
          script: `${process.env.BENCH_BEFORE}/bench/servers/saddle.mjs`,
          skitai: true,
        },
      ]
    : []),
]

/** The id every ratio is taken against. */
export const BASELINE = 'node-http'
