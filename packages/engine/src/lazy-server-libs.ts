/**
 * Dependencies loaded on first use, not at import: undici (~20 MB of RSS; the test client's socket
 * transport), light-my-request (~8 MB; the in-process test client), @hono/node-server (~10 MB; only
 * when a fetch handler is mounted) and send (~7 MB with debug, http-errors …; the first static file
 * served), ws (~9 MB; the first WebSocket handshake or `cli.ws`). A worker serving node listeners or Saddle apps needs none of them until then (README "Performance": idle
 * worker < 80 MB). Loaded synchronously with require so that no API changes; after the
 * first call each getter costs one null check. Types come from `import type`.
 */
import { createRequire } from 'node:module'
import type * as HonoNodeServer from '@hono/node-server'
import type * as LightMyRequest from 'light-my-request'
import type mimeTypes from 'mime-types'
import type send from 'send'
import type * as Undici from 'undici'
import type * as Ws from 'ws'

const require = createRequire(import.meta.url)

let undici: typeof Undici | null = null
let lightMyRequest: typeof LightMyRequest | null = null
let honoNodeServer: typeof HonoNodeServer | null = null
let sendMod: typeof send | null = null
let mimeTypesMod: typeof mimeTypes | null = null

export function undiciLib(): typeof Undici {
  return (undici ??= require('undici') as typeof Undici)
}

export function lightMyRequestLib(): typeof LightMyRequest {
  return (lightMyRequest ??= require('light-my-request') as typeof LightMyRequest)
}

/** The CommonJS build of @hono/node-server (its `require` export). */
export function honoNodeServerLib(): typeof HonoNodeServer {
  return (honoNodeServer ??= require('@hono/node-server') as typeof HonoNodeServer)
}

/** send's `send(req, path, options)` (static files). */
export function sendLib(): typeof send {
  return (sendMod ??= require('send') as typeof send)
}

/** mime-types (~2.7 MB with mime-db): the test client's file uploads. */
export function mimeTypesLib(): typeof mimeTypes {
  return (mimeTypesMod ??= require('mime-types') as typeof mimeTypes)
}

let wsMod: typeof Ws | null = null

/** The ws package (WebSocket, WebSocketServer). */
export function wsLib(): typeof Ws {
  return (wsMod ??= require('ws') as typeof Ws)
}
