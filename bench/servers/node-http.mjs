// Baseline: a plain node:http server (the denominator of every ratio).
import { createServer } from 'node:http'
import { HOST, KEEP_ALIVE_MS, PORT, announce } from './common.mjs'
import { createNodeHandler } from './node-handler.mjs'

const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, createNodeHandler())
announce()
server.listen(PORT, HOST)
