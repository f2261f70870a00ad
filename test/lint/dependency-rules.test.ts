/**
 * The dependency rules of `npm run lint` (.dependency-cruiser.cjs) catch what they are meant to: on a
 * copy of the packages' sources, a planted import cycle (a type-only one too) and each
 * wrong-way import make the check fail naming the rule, and the copy passes again once the planted file
 * is removed.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const cruiser = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs')
let copy = ''

/** Runs the lint's dependency check on the copy: exit status and output. */
function check(): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [cruiser, '--config', '.dependency-cruiser.cjs', ...SOURCES], {
    cwd: copy,
    encoding: 'utf8',
  })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

const SOURCES = ['packages/was/src', 'packages/engine/src', 'packages/saddle/src']

/**
 * Plants `files` (path → text) in the copy and puts `prepend` (path → text) before existing files, runs
 * the check, then removes the planted files and restores the others.
 */
function withPlanted(
  files: Record<string, string>,
  prepend: Record<string, string> = {},
): { status: number | null; out: string } {
  const kept = new Map<string, string>()
  for (const [p, text] of Object.entries(files)) writeFileSync(join(copy, p), text)
  for (const [p, text] of Object.entries(prepend)) {
    const was = readFileSync(join(copy, p), 'utf8')
    kept.set(p, was)
    writeFileSync(join(copy, p), text + was)
  }
  try {
    return check()
  } finally {
    for (const p of Object.keys(files)) rmSync(join(copy, p))
    for (const [p, text] of kept) writeFileSync(join(copy, p), text)
  }
}

describe('npm run lint: dependency rules', () => {
  before(() => {
    copy = mkdtempSync(join(tmpdir(), 'skitai-deps-'))
    for (const f of ['.dependency-cruiser.cjs', 'tsconfig.json']) cpSync(join(root, f), join(copy, f))
    for (const p of ['was', 'engine', 'saddle']) {
      cpSync(join(root, 'packages', p, 'src'), join(copy, 'packages', p, 'src'), { recursive: true })
      cpSync(join(root, 'packages', p, 'package.json'), join(copy, 'packages', p, 'package.json'))
    }
  })
  after(() => rmSync(copy, { recursive: true, force: true }))

  it('the sources as they are pass', () => {
    const r = check()
    assert.equal(r.status, 0, r.out)
    assert.match(r.out, /no dependency violations found/)
  })

  it('an import cycle fails (no-cycles), and passes once it is removed', () => {
    const r = withPlanted({
      'packages/saddle/src/planted-a.ts': "import { b } from './planted-b.js'\nexport const a = () => b\n",
      'packages/saddle/src/planted-b.ts': "import { a } from './planted-a.js'\nexport const b = () => a\n",
    })
    assert.notEqual(r.status, 0, r.out)
    assert.match(r.out, /no-cycles: packages\/saddle\/src\/planted-[ab]\.ts/)
    assert.equal(check().status, 0, 'the copy passes again without the planted files')
  })

  it('a type-only import cycle in engine, was or saddle fails (no-type-cycles), and passes once it is removed', () => {
    // the shape engine-core.ts broke: a file that engine.ts imports names the Engine class as a type
    const r = withPlanted(
      {
        'packages/engine/src/planted.ts':
          "import type { Engine } from './engine.js'\nexport const planted = (e: Engine) => e.inFlight\n",
        'packages/was/src/planted-a.ts': "import type { B } from './planted-b.js'\nexport interface A { b: B }\n",
        'packages/was/src/planted-b.ts': "import type { A } from './planted-a.js'\nexport interface B { a: A }\n",
        // the shape saddle's contract.ts broke: a file below saddle-was.ts names the Saddle class as a type
        'packages/saddle/src/planted.ts':
          "import type { Saddle } from './app.js'\nexport const planted = (app: Saddle) => app.name\n",
      },
      {
        'packages/engine/src/engine.ts': "import './planted.js'\n",
        'packages/saddle/src/saddle-was.ts': "import './planted.js'\n",
      },
    )
    assert.notEqual(r.status, 0, r.out)
    assert.match(r.out, /no-type-cycles: packages\/engine\/src\/(engine|planted)\.ts/)
    assert.match(r.out, /no-type-cycles: packages\/was\/src\/planted-[ab]\.ts/)
    assert.match(r.out, /no-type-cycles: packages\/saddle\/src\/[\w/-]+\.ts/)
    assert.doesNotMatch(r.out, /error no-cycles:/, 'only type-only edges close these cycles: not a runtime cycle')
    assert.equal(check().status, 0, 'the copy passes again without the planted files')
  })

  it('was importing engine or saddle fails, by name or by path', () => {
    const r = withPlanted({
      'packages/was/src/planted.ts':
        "export { Engine } from '@skitai/engine'\nexport { Saddle } from '../../saddle/src/app.js'\n",
    })
    assert.notEqual(r.status, 0, r.out)
    assert.match(r.out, /was-imports-no-other-package: packages\/was\/src\/planted\.ts → @skitai\/engine/)
    assert.match(
      r.out,
      /was-imports-no-other-package: packages\/was\/src\/planted\.ts → packages\/saddle\/src\/app\.ts/,
    )
    assert.match(r.out, /no-reaching-into-another-package/)
  })

  it('engine importing saddle fails, a type-only import too', () => {
    const r = withPlanted({
      'packages/engine/src/planted.ts': "import type { Saddle } from '@skitai/saddle'\nexport type S = Saddle\n",
    })
    assert.notEqual(r.status, 0, r.out)
    assert.match(r.out, /engine-does-not-import-saddle: packages\/engine\/src\/planted\.ts → @skitai\/saddle/)
  })
})
