export * from './contract.js'
export { type ConditionalResult, evaluateConditional } from './conditional.js'
