export { Was } from './was.js'
export { was, currentWas, runWithWas, wasStorage } from './context.js'
export { HttpError, isHttpError, defaultReason } from './errors.js'
