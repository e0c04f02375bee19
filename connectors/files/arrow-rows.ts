/**
 * Records from Arrow record batches (what Parquet is read into), typed as arrow-schema.ts
 * says: Float64 and Int64 columns are read straight from their typed arrays, strings from
 * their offsets and bytes, timestamps of any unit become epoch milliseconds (floored), and
 * nulls are read from the validity bitmap. Other types go through Arrow's `get`.
 *
 * @example
 * const rows = rowsOfBatch(batch, datasetSchemaOf(batch.schema))  // [{ id: 1n, name: 'a', ts: 1704067200000 }, …]
 */
import { isAscii } from 'node:buffer'
import type * as arrow from 'apache-arrow'
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import { compileRowsOfColumns, type RowsOfColumns } from './row-factory.ts'
import { arrowLibrary } from './parquet-libs.ts'

type Value = string | number | bigint | boolean | null

/**
 * The rows of `batch`, each an object of `schema`'s columns in order. A reader of many
 * batches passes `make` (compiled once by `compileRowsOfColumns(names)`).
 */
export function rowsOfBatch (batch: arrow.RecordBatch, schema: DatasetSchema, make?: RowsOfColumns): Array<Record<string, Value>> {
  const names = schema.columns.map(c => c.name)
  const columns: Value[][] = names.map(name => {
    const child = batch.getChild(name)
    if (child === null) throw new Error(`column '${name}' is missing`)
    return valuesOf(child)
  })
  return (make ?? compileRowsOfColumns(names))(batch.numRows, columns) as Array<Record<string, Value>>
}

/** The values of one column (every chunk of it) as meshflow values. */
export function valuesOf (vector: arrow.Vector): Value[] {
  const out = new Array<Value>(vector.length)
  let at = 0
  for (const data of vector.data) {
    valuesOfData(data, out, at)
    at += data.length
  }
  return out
}

function valuesOfData (data: arrow.Data, out: Value[], at: number): void {
  const A = arrowLibrary('rowsOfBatch')
  const n = data.length
  const type = data.type
  const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined
  const off = data.offset
  const valid = (i: number): boolean => bitmap === undefined || ((bitmap[(i + off) >> 3]! >> ((i + off) & 7)) & 1) === 1
  switch (type.typeId) {
    case A.Type.Float: {
      if ((type as arrow.Float).precision !== A.Precision.DOUBLE) break
      const v = data.values as Float64Array
      for (let i = 0; i < n; i++) out[at + i] = valid(i) ? v[i + off]! : null
      return
    }
    case A.Type.Int: {
      const int = type as arrow.Int
      if (int.bitWidth !== 64) break
      const v = data.values as BigInt64Array | BigUint64Array
      for (let i = 0; i < n; i++) out[at + i] = valid(i) ? v[i + off]! : null
      return
    }
    case A.Type.Bool: {
      const v = data.values as Uint8Array
      for (let i = 0; i < n; i++) out[at + i] = valid(i) ? ((v[(i + off) >> 3]! >> ((i + off) & 7)) & 1) === 1 : null
      return
    }
    case A.Type.Utf8: {
      const offsets = data.valueOffsets as Int32Array
      const bytes = data.values as Uint8Array
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      const from = offsets[off]!
      const to = offsets[off + n]!
      if (isAscii(buf.subarray(from, to))) {
        // all ASCII (most text): one native decode, then cheap substrings of it
        const text = buf.toString('latin1', from, to)
        for (let i = 0; i < n; i++) out[at + i] = valid(i) ? text.slice(offsets[i + off]! - from, offsets[i + off + 1]! - from) : null
      } else {
        for (let i = 0; i < n; i++) out[at + i] = valid(i) ? buf.toString('utf8', offsets[i + off]!, offsets[i + off + 1]!) : null
      }
      return
    }
    case A.Type.Timestamp: {
      const unit = (type as arrow.Timestamp).unit
      const v = data.values as BigInt64Array
      // one representation per unit: seconds, ms, µs, ns
      const div = unit === A.TimeUnit.SECOND ? 1e-3 : unit === A.TimeUnit.MILLISECOND ? 1 : unit === A.TimeUnit.MICROSECOND ? 1e3 : 1e6
      if (v instanceof BigInt64Array) {
        for (let i = 0; i < n; i++) out[at + i] = valid(i) ? Math.floor(Number(v[i + off]!) / div) : null
        return
      }
      break
    }
  }
  // every other type: Arrow's accessor, normalised to meshflow values
  const vector = A.makeVector(data)
  for (let i = 0; i < n; i++) out[at + i] = normalise(vector.get(i), type)
}

function normalise (v: unknown, type: arrow.DataType): Value {
  const A = arrowLibrary('rowsOfBatch')
  if (v === null || v === undefined) return null
  switch (type.typeId) {
    case A.Type.Decimal: {
      // a DecimalBigNum: its integer value scaled down
      const scale = (type as arrow.Decimal).scale
      return Number(BigInt((v as { toString(): string }).toString())) / 10 ** scale
    }
    case A.Type.Int: return (type as arrow.Int).bitWidth === 64 ? BigInt(v as number | bigint) : Number(v)
    case A.Type.Date:
    case A.Type.Timestamp: return typeof v === 'number' ? v : v instanceof Date ? v.getTime() : Number(v)
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v
  return String(v)
}
