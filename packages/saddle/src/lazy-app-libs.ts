/**
 * Dependencies loaded on first use, not at import: nunjucks (first template), jsonwebtoken (first JWT
 * made or checked), busboy (first multipart body) and iron-session (first seal written). Together
 * ~15 MB of RSS that a worker which never uses them should not pay (bench/README.md: idle worker < 80 MB).
 * Loaded synchronously with require so that no API changes; after the first call each getter costs one
 * null check. Types come from `import type` and are exactly the packages' own.
 */
import { createRequire } from 'node:module'
import type busboy from 'busboy'
import type * as IronSession from 'iron-session'
import type jsonwebtoken from 'jsonwebtoken'
import type mimeTypes from 'mime-types'
import type nunjucks from 'nunjucks'

const require = createRequire(import.meta.url)

let nunjucksMod: typeof nunjucks | null = null
let jsonwebtokenMod: typeof jsonwebtoken | null = null
let busboyMod: typeof busboy | null = null
let ironSessionMod: typeof IronSession | null = null
let mimeTypesMod: typeof mimeTypes | null = null

export function nunjucksLib(): typeof nunjucks {
  return (nunjucksMod ??= require('nunjucks') as typeof nunjucks)
}

export function jsonwebtokenLib(): typeof jsonwebtoken {
  return (jsonwebtokenMod ??= require('jsonwebtoken') as typeof jsonwebtoken)
}

/** busboy's factory function. */
export function busboyLib(): typeof busboy {
  return (busboyMod ??= require('busboy') as typeof busboy)
}

/** The CommonJS build of iron-session 8 (its `require` export; the same seal format as the ES build). */
export function ironSessionLib(): typeof IronSession {
  return (ironSessionMod ??= require('iron-session') as typeof IronSession)
}

/** mime-types (~2.7 MB with mime-db): the content type of a file response (writer.ts). */
export function mimeTypesLib(): typeof mimeTypes {
  return (mimeTypesMod ??= require('mime-types') as typeof mimeTypes)
}
