/**
 * meshflow column types ↔ Apache Arrow types (the in-memory form Parquet is read into and
 * written from). Writing: `number` → Float64, `int64` → Int64, `boolean` → Bool,
 * `string` → Utf8, `timestamp` → Timestamp(ms, UTC) — a Parquet TIMESTAMP(MILLIS,
 * isAdjustedToUTC), which DuckDB reads as TIMESTAMP WITH TIME ZONE. Reading accepts more
 * than is written: every integer type below 64 bits, Float16/32 and Decimal are `number`,
 * Uint64 is `int64`, dates and timestamps of any unit are `timestamp`, LargeUtf8, Utf8View
 * and dictionary-encoded strings are `string`.
 *
 * @example
 * columnTypeOf(new arrow.Int64())   // 'int64'
 * arrowSchemaOf({ columns: [{ name: 'ts', type: 'timestamp' }] })  // Schema<{ ts: Timestamp<MILLISECOND, UTC> }>
 */
import type * as arrow from 'apache-arrow'
import type { ColumnType, DatasetSchema } from '../../node/api/dataset-schema.ts'
import { arrowLibrary } from './parquet-libs.ts'

/** The Arrow type a column of `type` is written as. */
export function arrowTypeOf (type: ColumnType): arrow.DataType {
  const A = arrowLibrary('arrowTypeOf')
  switch (type) {
    case 'string': return new A.Utf8()
    case 'number': return new A.Float64()
    case 'int64': return new A.Int64()
    case 'boolean': return new A.Bool()
    case 'timestamp': return new A.TimestampMillisecond('UTC')
  }
}

/** The Arrow schema a dataset schema is written as (every column nullable). */
export function arrowSchemaOf (schema: DatasetSchema): arrow.Schema {
  const A = arrowLibrary('arrowSchemaOf')
  return new A.Schema(schema.columns.map(c => new A.Field(c.name, arrowTypeOf(c.type), true)))
}

/** The column type an Arrow type reads as, or undefined when meshflow has none for it. */
export function columnTypeOf (type: arrow.DataType): ColumnType | undefined {
  const A = arrowLibrary('columnTypeOf')
  switch (type.typeId) {
    case A.Type.Utf8:
    case A.Type.LargeUtf8:
    case A.Type.Utf8View:
      return 'string'
    case A.Type.Bool:
      return 'boolean'
    case A.Type.Float:
    case A.Type.Decimal:
      return 'number'
    case A.Type.Int: {
      const int = type as arrow.Int
      return int.bitWidth === 64 ? 'int64' : 'number'
    }
    case A.Type.Timestamp:
    case A.Type.Date:
      return 'timestamp'
    case A.Type.Dictionary:
      return columnTypeOf((type as arrow.Dictionary).dictionary)
    default:
      return undefined
  }
}

/**
 * The dataset schema of an Arrow schema.
 *
 * @throws {Error} naming the first column whose type has no meshflow type
 */
export function datasetSchemaOf (schema: arrow.Schema): DatasetSchema {
  return {
    columns: schema.fields.map(f => {
      const type = columnTypeOf(f.type)
      if (type === undefined) throw new Error(`column '${f.name}' has type ${String(f.type)}, which meshflow cannot read (leave it out with columns)`)
      return { name: f.name, type }
    })
  }
}
