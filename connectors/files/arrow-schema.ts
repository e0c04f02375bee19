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
import * as arrow from 'apache-arrow'
import type { ColumnType, DatasetSchema } from '../../node/api/dataset-schema.ts'

/** The Arrow type a column of `type` is written as. */
export function arrowTypeOf (type: ColumnType): arrow.DataType {
  switch (type) {
    case 'string': return new arrow.Utf8()
    case 'number': return new arrow.Float64()
    case 'int64': return new arrow.Int64()
    case 'boolean': return new arrow.Bool()
    case 'timestamp': return new arrow.TimestampMillisecond('UTC')
  }
}

/** The Arrow schema a dataset schema is written as (every column nullable). */
export function arrowSchemaOf (schema: DatasetSchema): arrow.Schema {
  return new arrow.Schema(schema.columns.map(c => new arrow.Field(c.name, arrowTypeOf(c.type), true)))
}

/** The column type an Arrow type reads as, or undefined when meshflow has none for it. */
export function columnTypeOf (type: arrow.DataType): ColumnType | undefined {
  switch (type.typeId) {
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8:
    case arrow.Type.Utf8View:
      return 'string'
    case arrow.Type.Bool:
      return 'boolean'
    case arrow.Type.Float:
    case arrow.Type.Decimal:
      return 'number'
    case arrow.Type.Int: {
      const int = type as arrow.Int
      return int.bitWidth === 64 ? 'int64' : 'number'
    }
    case arrow.Type.Timestamp:
    case arrow.Type.Date:
      return 'timestamp'
    case arrow.Type.Dictionary:
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
