/**
 * Dataset schemas (DESIGN §6): validation, the CLI's `--schema` text, inference from sample
 * records, comparison for appends, and checking (with light coercion) of single rows.
 *
 * @example
 * const schema = parseSchemaSpec('store:string,amount:number,ts:timestamp')
 * const row = checkRow(schema, { store: 's1', amount: 9.5, ts: new Date() }) // ts becomes epoch ms
 * const diff = sameSchema(schema, existing.schema)
 * if (diff !== undefined) throw new Error(describeSchemaDifference(diff, 'sales'))
 */
import { COLUMN_TYPES, type ColumnSchema, type ColumnType, type DatasetSchema, type Scalar } from '../../api/dataset-schema.ts'
import { MAX_COLUMN_NAME_BYTES, MAX_COLUMNS } from './constants.ts'
import { InvalidSchemaError, RowTypeError, SchemaSpecError, UnknownColumnError } from './errors.ts'

const KNOWN_TYPES = new Set<string>(COLUMN_TYPES)

/** Smallest and largest int64 value. */
export const INT64_MIN = -(2n ** 63n)
export const INT64_MAX = 2n ** 63n - 1n

/** What a column of each type holds, as error messages say it. */
export const TYPE_DESCRIPTIONS: Readonly<Record<ColumnType, string>> = {
  string: 'a string (string)',
  number: 'a number (number)',
  int64: 'a bigint in the int64 range or a safe integer (int64)',
  boolean: 'a boolean (boolean)',
  timestamp: 'epoch milliseconds as a finite number or a valid Date (timestamp)'
}

/**
 * Checks a schema: at least one column, names non-empty, unique and at most
 * MAX_COLUMN_NAME_BYTES long, types known.
 *
 * @throws InvalidSchemaError naming the column at fault
 */
export function validateSchema (schema: DatasetSchema): void {
  if (typeof schema !== 'object' || schema === null || !Array.isArray(schema.columns)) throw new InvalidSchemaError('A dataset schema must be an object with a columns array')
  if (schema.columns.length === 0) throw new InvalidSchemaError('A dataset schema needs at least one column')
  if (schema.columns.length > MAX_COLUMNS) throw new InvalidSchemaError(`A dataset schema has at most ${MAX_COLUMNS} columns, this one ${schema.columns.length}`)
  const seen = new Set<string>()
  schema.columns.forEach((column: ColumnSchema, i: number) => {
    const name: unknown = column?.name
    if (typeof name !== 'string' || name === '') throw new InvalidSchemaError(`Column ${i + 1} has no name`)
    if (Buffer.byteLength(name) > MAX_COLUMN_NAME_BYTES) throw new InvalidSchemaError(`Column '${name.slice(0, 40)}...' has a name longer than ${MAX_COLUMN_NAME_BYTES} bytes`, name)
    if (seen.has(name)) throw new InvalidSchemaError(`Column '${name}' appears twice`, name)
    seen.add(name)
    if (!KNOWN_TYPES.has(column.type)) throw new InvalidSchemaError(`Column '${name}' has unknown type '${String(column.type)}' (known: ${COLUMN_TYPES.join(', ')})`, name)
  })
}

/**
 * Parses the CLI's `--schema` text: `name:type` pairs separated by commas, spaces around
 * either allowed (`store:string, amount:number, ts:timestamp`).
 *
 * @throws SchemaSpecError naming the bad part and listing the known types
 */
export function parseSchemaSpec (spec: string): DatasetSchema {
  const parts = spec.split(',').map(p => p.trim())
  const columns: ColumnSchema[] = []
  for (const part of parts) {
    if (part === '') throw new SchemaSpecError(`Schema '${spec}' has an empty part: expected name:type pairs separated by commas`)
    const colon = part.lastIndexOf(':')
    if (colon < 0) throw new SchemaSpecError(`Schema part '${part}' has no type: expected name:type with type one of ${COLUMN_TYPES.join(', ')}`)
    const name = part.slice(0, colon).trim()
    const type = part.slice(colon + 1).trim().toLowerCase()
    if (name === '') throw new SchemaSpecError(`Schema part '${part}' has no column name`)
    if (!KNOWN_TYPES.has(type)) throw new SchemaSpecError(`Schema part '${part}' has unknown type '${type}' (known: ${COLUMN_TYPES.join(', ')})`)
    columns.push({ name, type: type as ColumnType })
  }
  const schema = { columns }
  try {
    validateSchema(schema)
  } catch (err) {
    throw new SchemaSpecError(`Schema '${spec}': ${(err as Error).message}`, { cause: err })
  }
  return schema
}

/** The type a value suggests, or undefined for null/undefined. */
function typeOfValue (value: unknown, column: string): ColumnType | undefined {
  if (value === null || value === undefined) return undefined
  switch (typeof value) {
    case 'string': return 'string'
    case 'number': return 'number'
    case 'bigint': return 'int64'
    case 'boolean': return 'boolean'
  }
  if (value instanceof Date) return 'timestamp'
  throw new InvalidSchemaError(`Column '${column}' holds a value no column type can hold: ${describeValueShort(value)}`, column)
}

function describeValueShort (value: unknown): string {
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`
}

/**
 * Infers a schema from sample records: columns in order of first appearance; a column's
 * type is that of its non-null values — strings `string`, numbers `number` (never int64:
 * an integer-valued number stays a number), bigints `int64`, booleans `boolean`, Dates
 * `timestamp`; a column named in `options.timestamps` holding numbers is `timestamp`. A
 * column that is null (or missing) in every sample is `string`.
 *
 * @throws InvalidSchemaError when a column holds values of two types, or a value no type holds
 */
export function inferSchema (rows: Iterable<Readonly<Record<string, unknown>>>, options: { readonly timestamps?: readonly string[] } = {}): DatasetSchema {
  const types = new Map<string, ColumnType | undefined>()
  const timestamps = new Set(options.timestamps ?? [])
  let index = 0
  for (const row of rows) {
    if (typeof row !== 'object' || row === null) throw new InvalidSchemaError(`Sample ${index} is not a record: ${describeValueShort(row)}`)
    for (const name of Object.keys(row)) {
      let type = typeOfValue(row[name], name)
      if (type === 'number' && timestamps.has(name)) type = 'timestamp'
      const known = types.get(name)
      if (!types.has(name) || known === undefined) types.set(name, type)
      else if (type !== undefined && type !== known) throw new InvalidSchemaError(`Column '${name}' holds both ${known} and ${type} values (sample ${index})`, name)
    }
    index++
  }
  for (const name of timestamps) if (!types.has(name)) throw new InvalidSchemaError(`Timestamp column '${name}' is in no sample`, name)
  const schema = { columns: [...types].map(([name, type]) => ({ name, type: type ?? 'string' })) }
  if (schema.columns.length === 0) throw new InvalidSchemaError('No column to infer a schema from: the samples are empty')
  validateSchema(schema)
  return schema
}

/** The first way two schemas differ (see `sameSchema`). */
export interface SchemaDifference {
  readonly column: string
  /** The column's type in the first schema, undefined when it lacks the column. */
  readonly here: ColumnType | undefined
  /** The column's type in the second schema, undefined when it lacks the column. */
  readonly there: ColumnType | undefined
  /** Set when both have the column with the same type, at different positions (0-based). */
  readonly positions?: readonly [number, number]
}

/**
 * Compares two schemas: undefined when they are the same (names, types, order), else the
 * first difference — a type that differs, then a column only one has, then the order.
 */
export function sameSchema (a: DatasetSchema, b: DatasetSchema): SchemaDifference | undefined {
  const there = new Map(b.columns.map((c, i) => [c.name, { type: c.type, i }]))
  const here = new Map(a.columns.map((c, i) => [c.name, { type: c.type, i }]))
  for (const c of a.columns) {
    const other = there.get(c.name)
    if (other !== undefined && other.type !== c.type) return { column: c.name, here: c.type, there: other.type }
  }
  for (const c of a.columns) if (!there.has(c.name)) return { column: c.name, here: c.type, there: undefined }
  for (const c of b.columns) if (!here.has(c.name)) return { column: c.name, here: undefined, there: c.type }
  for (let i = 0; i < a.columns.length; i++) {
    const c = a.columns[i]!
    const j = there.get(c.name)!.i
    if (j !== i) return { column: c.name, here: c.type, there: c.type, positions: [i, j] }
  }
  return undefined
}

/**
 * A difference as a message: "column 'amount' is number here and string in dataset 'sales'".
 */
export function describeSchemaDifference (diff: SchemaDifference, dataset: string): string {
  const where = `in dataset '${dataset}'`
  if (diff.positions !== undefined) return `column '${diff.column}' is column ${diff.positions[0] + 1} here and column ${diff.positions[1] + 1} ${where}`
  if (diff.here === undefined) return `column '${diff.column}' (${diff.there ?? ''}) is missing here but exists ${where}`
  if (diff.there === undefined) return `column '${diff.column}' (${diff.here}) is new here and does not exist ${where}`
  return `column '${diff.column}' is ${diff.here} here and ${diff.there} ${where}`
}

/** Marks a value `coerceValue` cannot turn into the column's type. */
export const INVALID: unique symbol = Symbol('invalid')

/**
 * A value as the column stores it, or INVALID: null/undefined are null; an int64 column
 * takes bigints in range and safe integers (as bigints); a timestamp column takes finite
 * numbers and valid Dates (as epoch ms); the others take exactly their JS type.
 */
export function coerceValue (type: ColumnType, value: unknown): Scalar | null | typeof INVALID {
  if (value === null || value === undefined) return null
  switch (type) {
    case 'string': return typeof value === 'string' ? value : INVALID
    case 'number': return typeof value === 'number' ? value : INVALID
    case 'boolean': return typeof value === 'boolean' ? value : INVALID
    case 'int64':
      if (typeof value === 'bigint') return value >= INT64_MIN && value <= INT64_MAX ? value : INVALID
      return Number.isSafeInteger(value) ? BigInt(value as number) : INVALID
    case 'timestamp': {
      const ms = value instanceof Date ? value.getTime() : value
      return typeof ms === 'number' && Number.isFinite(ms) ? ms : INVALID
    }
  }
}

/**
 * A row as the schema stores it: a new record with exactly the schema's columns, in
 * order, each value coerced by `coerceValue` (missing → null). Keys the schema lacks are
 * dropped.
 *
 * @param index the row's position, for the error message
 * @throws RowTypeError naming the row, column, expected type and the value
 */
export function checkRow (schema: DatasetSchema, row: Readonly<Record<string, unknown>>, index?: number): Record<string, Scalar | null> {
  if (typeof row !== 'object' || row === null) throw new RowTypeError('(row)', 'a record', row, index)
  const out: Record<string, Scalar | null> = {}
  for (const { name, type } of schema.columns) {
    const value = coerceValue(type, row[name])
    if (value === INVALID) throw new RowTypeError(name, TYPE_DESCRIPTIONS[type], row[name], index)
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true })
  }
  return out
}

/** The column names of a schema. */
export function columnNames (schema: DatasetSchema): string[] {
  return schema.columns.map(c => c.name)
}

/** A column by name, or UnknownColumnError with a did-you-mean. */
export function columnOf (schema: DatasetSchema, name: string): ColumnSchema {
  const column = schema.columns.find(c => c.name === name)
  if (column === undefined) {
    const names = columnNames(schema)
    throw new UnknownColumnError(String(name), names, closestName(String(name), names))
  }
  return column
}

/** The candidate closest to `name` (edit distance ≤ a third of its length, at least 1; case-insensitive match first). */
export function closestName (name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase()
  const exact = candidates.find(c => c.toLowerCase() === lower)
  if (exact !== undefined) return exact
  let best: string | undefined
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase())
    if (d < bestDistance) { best = c; bestDistance = d }
  }
  return best
}

function editDistance (a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return Infinity
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]!
}
