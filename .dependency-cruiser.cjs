// The dependency rules of the monorepo (ARCHITECTURE.md, "Dependency rules"), checked by `npm run lint`:
// packages depend one way — saddle → engine, was; engine → was; was → neither — and no package has an
// import cycle, not even through type-only imports. test/lint/dependency-rules.test.ts
// plants a violation of each rule and sees this fail.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'A module cannot reach itself through its imports; shared types go into a leaf contract file.',
      severity: 'error',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'], viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-type-cycles',
      comment:
        'Type-only imports count too: a type the importer needs lives in a file below both (engine: ' +
        'engine-core.ts, request-context.ts, contract.ts; saddle: contract.ts, lifecycle/app-of.ts).',
      severity: 'error',
      from: { path: '^packages/(was|engine|saddle)/' },
      to: { circular: true },
    },
    {
      name: 'was-imports-no-other-package',
      comment: '@skitai/was is the bottom layer: it imports neither @skitai/engine nor @skitai/saddle.',
      severity: 'error',
      from: { path: '^packages/was/' },
      to: { path: ['^packages/(engine|saddle)/', '@skitai/(engine|saddle)'] },
    },
    {
      name: 'engine-does-not-import-saddle',
      comment: '@skitai/engine serves any app through its contract; it never imports @skitai/saddle.',
      severity: 'error',
      from: { path: '^packages/engine/' },
      to: { path: ['^packages/saddle/', '@skitai/saddle'] },
    },
    {
      name: 'no-reaching-into-another-package',
      comment: 'Another package is imported by its name (@skitai/x), never by a relative path into its files.',
      severity: 'error',
      from: { path: '^packages/([^/]+)/' },
      to: { path: '^packages/', pathNot: ['^packages/$1/', 'node_modules'] },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    enhancedResolveOptions: { conditionNames: ['skitai-source', 'import', 'types', 'default'] },
  },
}
