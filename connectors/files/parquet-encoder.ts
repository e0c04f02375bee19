/**
 * The Parquet encoder of the file sink: a part's records are kept as Arrow record batches
 * (typed arrays, far smaller than the records) and the part is written whole when it
 * closes, since a Parquet file cannot be appended to (its footer indexes every row group).
 * Records are collected to BUFFER_ROWS before they become one Arrow batch: a partitioned
 * sink hands each directory a few records per write, and an Arrow batch (and its IPC
 * message when the part is written) per handful of records cost about as much as the
 * records themselves (test/bench/lake.ts, partitioned by two columns: from 0.29 to about
 * 1.0 of the library's speed). The schema comes from the option, or from the first batch
 * (inferRecordSchema); a record that does not fit it fails the write that converts it
 * (at most BUFFER_ROWS records later, or the part's close) naming the column.
 */
import type * as arrow from 'apache-arrow'
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import { batchBytes, batchOfRows } from './arrow-builder.ts'
import { arrowSchemaOf } from './arrow-schema.ts'
import { ColumnValueError, ParquetError } from './errors.ts'
import { inferRecordSchema } from './infer-schema.ts'
import { encodeParquet, type ParquetWriteOptions } from './parquet-write.ts'
import type { RecordEncoder } from './record-encoder.ts'

/** Records collected before they are converted to one Arrow batch. */
export const BUFFER_ROWS = 8_192

/** Bytes a record is assumed to take in Arrow until the first batch tells. */
const FIRST_ROW_BYTES = 64

export interface ParquetEncoderInit {
  /** Names the output in errors (the sink's directory). */
  readonly path: string
  /** The columns written; default: inferred from the first batch. */
  readonly schema?: DatasetSchema | undefined
  readonly parquet?: ParquetWriteOptions | undefined
}

export class ParquetEncoder<T> implements RecordEncoder<T> {
  readonly #init: ParquetEncoderInit
  #schema: DatasetSchema | undefined
  #arrowSchema: arrow.Schema | undefined
  #batches: arrow.RecordBatch[] = []
  /** Arrow bytes of `#batches`. */
  #buffered = 0
  /** Records not converted yet. */
  #pending: T[] = []
  /** Arrow bytes per record of the last batch converted. */
  #rowBytes = FIRST_ROW_BYTES

  constructor (init: ParquetEncoderInit) {
    this.#init = init
    if (init.schema !== undefined) this.#use(init.schema)
  }

  /** The schema written (undefined until given or inferred). */
  get schema (): DatasetSchema | undefined {
    return this.#schema
  }

  get bufferedBytes (): number {
    return this.#buffered + this.#pending.length * this.#rowBytes
  }

  /** Keeps the records, converted to Arrow every BUFFER_ROWS records; writes nothing yet. */
  encode (values: readonly T[]): string {
    if (values.length === 0) return ''
    if (this.#schema === undefined) this.#use(inferRecordSchema(values))
    if (this.#pending.length === 0 && values.length >= BUFFER_ROWS) {
      this.#convert(values)
      return ''
    }
    const pending = this.#pending
    for (let i = 0; i < values.length; i++) pending.push(values[i]!)
    if (pending.length >= BUFFER_ROWS) this.#flush()
    return ''
  }

  header (): string {
    return ''
  }

  /** The whole Parquet file of the records since the last call. */
  finishPart (): Uint8Array {
    this.#flush()
    const batches = this.#batches
    this.#batches = []
    this.#buffered = 0
    return encodeParquet(batches, this.#arrowSchema ?? arrowSchemaOf(this.#schema ?? { columns: [] }), this.#init.parquet)
  }

  #flush (): void {
    if (this.#pending.length === 0) return
    const rows = this.#pending
    this.#pending = []
    this.#convert(rows)
  }

  #convert (rows: readonly T[]): void {
    let batch: arrow.RecordBatch
    try {
      batch = batchOfRows(rows, this.#schema!, this.#arrowSchema)
    } catch (err) {
      if (err instanceof ColumnValueError) throw new ParquetError(this.#init.path, `a record does not fit the schema: ${err.message}`, { cause: err })
      throw err
    }
    const bytes = batchBytes(batch)
    this.#batches.push(batch)
    this.#buffered += bytes
    this.#rowBytes = Math.max(1, Math.ceil(bytes / rows.length))
  }

  #use (schema: DatasetSchema): void {
    this.#schema = schema
    this.#arrowSchema = arrowSchemaOf(schema)
  }
}
