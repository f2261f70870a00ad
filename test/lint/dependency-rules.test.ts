/**
 * The dependency rules of `npm run lint` (.dependency-cruiser.cjs) catch what they are meant to: on a
 * copy of the packages' sources, a planted import cycle and each wrong-way import make the check fail
 * naming the rule, and the copy passes again once the planted file is removed.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
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

/** Plants `files` (path → text) in the copy, runs the check, removes them again. */
function withPlanted(files: Record<string, string>): { status: number | null; out: string } {
  for (const [p, text] of Object.entries(files)) writeFileSync(join(copy, p), text)
  try {
    return check()
  } finally {
    for (const p of Object.keys(files)) rmSync(join(copy, p))
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
