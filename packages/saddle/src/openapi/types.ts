/**
 * The parts of an OpenAPI 3.1 document that `app.openapi()` writes (README "OpenAPI"). Schemas are JSON
 * Schema 2020-12 objects, as OpenAPI 3.1 takes them.
 */

/** A JSON Schema (2020-12) object. */
export type JsonSchema = { [keyword: string]: unknown }

/** `info` of the document; `title` and `version` are required by OpenAPI. */
export interface OpenApiInfo {
  title: string
  version: string
  description?: string
  [field: string]: unknown
}

export interface OpenApiParameter {
  name: string
  in: 'path' | 'query'
  required: boolean
  schema: JsonSchema
  description?: string
}

export interface OpenApiOperation {
  operationId: string
  summary?: string
  description?: string
  tags?: string[]
  parameters?: OpenApiParameter[]
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> }
  responses: Record<string, { description: string }>
  security?: Record<string, string[]>[]
}

export interface OpenApiDocument {
  openapi: '3.1.0'
  info: OpenApiInfo
  servers: { url: string }[]
  paths: Record<string, Record<string, OpenApiOperation>>
  components: { securitySchemes: Record<string, JsonSchema> }
  security?: Record<string, string[]>[]
  tags?: { name: string }[]
}

/**
 * Route option `paramTypes`: what a parameter's TypeScript annotation says, which the running code cannot
 * see (types are erased): a JSON type name, `'file'` for an upload, or a whole JSON Schema.
 */
export type ParamType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'file' | JsonSchema
