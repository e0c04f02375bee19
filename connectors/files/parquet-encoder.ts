/**
 * The Parquet encoder of the file sink: a part's records are kept as Arrow record batches
 * (typed arrays, far smaller than the records) and the part is written whole when it
 * closes, since a Parquet file cannot be appended to (its footer indexes every row group).
 * The schema comes from the option, or from the first batch (inferRecordSchema); a record
 * that does not fit it fails the write naming the column.
 */
import type * as arrow from 'apache-arrow'
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import { batchBytes, batchOfRows } from './arrow-builder.ts'
import { arrowSchemaOf } from './arrow-schema.ts'
import { ColumnValueError, ParquetError } from './errors.ts'
import { inferRecordSchema } from './infer-schema.ts'
import { encodeParquet, type ParquetWriteOptions } from './parquet-write.ts'
import type { RecordEncoder } from './record-encoder.ts'

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
  #buffered = 0

  constructor (init: ParquetEncoderInit) {
    this.#init = init
    if (init.schema !== undefined) this.#use(init.schema)
  }

  /** The schema written (undefined until given or inferred). */
  get schema (): DatasetSchema | undefined {
    return this.#schema
  }

  get bufferedBytes (): number {
    return this.#buffered
  }

  /** Converts the batch to Arrow and keeps it; writes nothing yet. */
  encode (values: readonly T[]): string {
    if (values.length === 0) return ''
    if (this.#schema === undefined) this.#use(inferRecordSchema(values))
    let batch: arrow.RecordBatch
    try {
      batch = batchOfRows(values, this.#schema!, this.#arrowSchema)
    } catch (err) {
      if (err instanceof ColumnValueError) throw new ParquetError(this.#init.path, `a record does not fit the schema: ${err.message}`, { cause: err })
      throw err
    }
    this.#batches.push(batch)
    this.#buffered += batchBytes(batch)
    return ''
  }

  header (): string {
    return ''
  }

  /** The whole Parquet file of the records since the last call. */
  finishPart (): Uint8Array {
    const batches = this.#batches
    this.#batches = []
    this.#buffered = 0
    return encodeParquet(batches, this.#arrowSchema ?? arrowSchemaOf(this.#schema ?? { columns: [] }), this.#init.parquet)
  }

  #use (schema: DatasetSchema): void {
    this.#schema = schema
    this.#arrowSchema = arrowSchemaOf(schema)
  }
}
