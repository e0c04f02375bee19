/**
 * Schemas for file input and output: checking one given as an option, inferring one from
 * the first lines of a CSV file (`inferCsvSchema`) or from the first records written
 * (`inferRecordSchema`, the Parquet sink without a schema option).
 *
 * @example
 * await inferCsvSchema('in/sales.csv')
 * // { columns: [{ name: 'store', type: 'string' }, { name: 'amount', type: 'number' }, { name: 'ts', type: 'timestamp' }] }
 */
import { open } from 'node:fs/promises'
import { COLUMN_TYPES, type ColumnType, type DatasetSchema } from '../../node/api/dataset-schema.ts'
import { InvalidArgumentError } from '../../node/api/errors.ts'
import { parseCsvLine } from './csv.ts'
import { readErrorOf } from './errors.ts'
import { LineSplitter } from './line-splitter.ts'
import { convertText } from './typed-values.ts'

/** Lines `inferCsvSchema` looks at by default. */
export const DEFAULT_INFER_ROWS = 1000

/**
 * Checks a schema given as an option: at least one column, names non-empty and unique,
 * types known.
 *
 * @throws {InvalidArgumentError} naming the column that is wrong
 */
export function checkSchema (schema: DatasetSchema, what: string): DatasetSchema {
  if (typeof schema !== 'object' || schema === null || !Array.isArray(schema.columns) || schema.columns.length === 0) {
    throw new InvalidArgumentError(`${what} must be { columns: [{ name, type }, …] } with at least one column`)
  }
  const seen = new Set<string>()
  for (const c of schema.columns) {
    if (typeof c?.name !== 'string' || c.name.length === 0) throw new InvalidArgumentError(`${what} has a column without a name`)
    if (seen.has(c.name)) throw new InvalidArgumentError(`${what} names column '${c.name}' twice`)
    seen.add(c.name)
    if (!COLUMN_TYPES.includes(c.type)) throw new InvalidArgumentError(`${what} column '${c.name}' has unknown type ${String(c.type)} (one of ${COLUMN_TYPES.join(', ')})`)
  }
  return schema
}

export interface InferCsvOptions {
  /** Field separator (default `,`). */
  readonly delimiter?: string
  /** The first line names the columns (default true); else they are `c1`, `c2`, …. */
  readonly header?: boolean
  /** Records looked at after the header (default 1000). */
  readonly rows?: number
}

/**
 * Infers a schema from the first `rows` records of a CSV file. A column is `boolean` when
 * every non-empty value is true/false, `number` when every one is a number (integers
 * too: a JavaScript number holds them exactly up to 2^53), `int64` only when an integer is
 * beyond that, `timestamp` when every one is ISO-8601 date or date-time text (epoch
 * integers stay numbers: nothing tells them apart), else `string`. A column with no
 * non-empty value is a `string`.
 *
 * @throws {FileNotFoundError} when `path` does not exist
 */
export async function inferCsvSchema (path: string, options: InferCsvOptions = {}): Promise<DatasetSchema> {
  const delimiter = options.delimiter ?? ','
  const limit = options.rows ?? DEFAULT_INFER_ROWS
  const lines = await firstRecords(path, delimiter, limit + ((options.header ?? true) ? 1 : 0))
  let names: string[] | undefined
  const samples: string[][] = []
  for (const line of lines) {
    const fields = parseCsvLine(line, delimiter)
    if (names === undefined && (options.header ?? true)) names = fields
    else samples.push(fields)
  }
  names ??= Array.from({ length: samples[0]?.length ?? 0 }, (_, i) => `c${i + 1}`)
  return { columns: names.map((name, i) => ({ name, type: inferColumn(samples.map(f => f[i] ?? '')) })) }
}

/** The narrowest type every value fits (see `inferCsvSchema`). */
export function inferColumn (values: readonly string[]): ColumnType {
  const present = values.filter(v => v.length > 0)
  if (present.length === 0) return 'string'
  const fits = (type: ColumnType, v: string): boolean => {
    try {
      convertText(type, v, '')
      return true
    } catch {
      return false
    }
  }
  if (present.every(v => v === 'true' || v === 'false' || v === 'TRUE' || v === 'FALSE' || v === 'True' || v === 'False')) return 'boolean'
  if (present.every(v => fits('number', v))) {
    const big = present.some(v => fits('int64', v) && !Number.isSafeInteger(Number(v)))
    return big && present.every(v => fits('int64', v)) ? 'int64' : 'number'
  }
  // ISO text only: a 4-digit year then '-' (epoch integers were numbers above)
  if (present.every(v => v.charCodeAt(4) === 0x2d && fits('timestamp', v))) return 'timestamp'
  return 'string'
}

/**
 * A schema of records from their values: number → `number`, bigint → `int64`, boolean,
 * string, Date → `timestamp`; a column's type is its first non-null value's (null
 * everywhere: `string`). Columns are the keys of the first record, in order.
 *
 * @throws {InvalidArgumentError} when the first record is not an object, or a value has no column type
 */
export function inferRecordSchema (records: readonly unknown[]): DatasetSchema {
  const first = records[0]
  if (typeof first !== 'object' || first === null || Array.isArray(first)) throw new InvalidArgumentError('Cannot infer a schema: records must be objects (give the schema)')
  const names = Object.keys(first)
  return {
    columns: names.map(name => {
      for (const r of records) {
        const v = (r as Record<string, unknown>)[name]
        if (v === null || v === undefined) continue
        switch (typeof v) {
          case 'number': return { name, type: 'number' as const }
          case 'bigint': return { name, type: 'int64' as const }
          case 'boolean': return { name, type: 'boolean' as const }
          case 'string': return { name, type: 'string' as const }
        }
        if (v instanceof Date) return { name, type: 'timestamp' as const }
        throw new InvalidArgumentError(`Cannot infer a schema: column '${name}' holds ${typeof v === 'object' ? 'an object' : typeof v}, which has no column type`)
      }
      return { name, type: 'string' as const }
    })
  }
}

/** The first `n` non-empty records of a CSV file. */
async function firstRecords (path: string, delimiter: string, n: number): Promise<string[]> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    throw readErrorOf(path, err)
  }
  try {
    const splitter = new LineSplitter(0, { quotedFields: { delimiter } })
    const out: string[] = []
    let position = 0
    while (out.length < n) {
      const line = splitter.next()
      if (line !== undefined) {
        if (line.length > 0) out.push(line)
        continue
      }
      if (splitter.done) break
      const buf = Buffer.allocUnsafe(64 * 1024)
      const { bytesRead } = await handle.read(buf, 0, buf.length, position)
      if (bytesRead === 0) splitter.end()
      else {
        splitter.push(buf.subarray(0, bytesRead))
        position += bytesRead
      }
    }
    return out
  } finally {
    await handle.close()
  }
}
