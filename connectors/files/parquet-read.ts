/**
 * Reading Parquet files with parquet-wasm: the footer (schema, row groups) first, then row
 * groups as Arrow record batches, turned into records by arrow-rows.ts. The file is opened
 * as a Blob (`fs.openAsBlob`), so only the footer and the row groups read are loaded, never
 * the whole file.
 *
 * @example
 * const file = await openParquetFile('in/sales.parquet', { columns: ['store', 'amount'] })
 * file.schema              // { columns: [{ name: 'store', type: 'string' }, { name: 'amount', type: 'number' }] }
 * for await (const rows of file.batches()) total += rows.length
 * file.close()
 */
import { openAsBlob } from 'node:fs'
import type * as arrow from 'apache-arrow'
import type * as pw from 'parquet-wasm'
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import { datasetSchemaOf } from './arrow-schema.ts'
import { arrowLibrary, loadParquet } from './parquet-libs.ts'
import { rowsOfBatch } from './arrow-rows.ts'
import { compileRowsOfColumns, type RowsOfColumns } from './row-factory.ts'
import { FileConnectorError, ParquetError, readErrorOf } from './errors.ts'
import { errorMessage } from '../../protocol/error-message.ts'

/** Rows per batch read (and per record batch handed out). */
export const DEFAULT_READ_BATCH_ROWS = 32_768

export interface ParquetReadOptions {
  /** Only these columns, in this order (default all, in the file's order). */
  readonly columns?: readonly string[]
  /** Rows per batch (default 32 768). */
  readonly batchRows?: number
}

type Row = Record<string, string | number | bigint | boolean | null>

/** An open Parquet file: its schema and row groups, and batches of records on demand. */
export class ParquetFileReader {
  readonly path: string
  /** The schema of the columns read. */
  readonly schema: DatasetSchema
  /** Rows of each row group, in order. */
  readonly rowGroupRows: readonly number[]
  readonly #file: pw.ParquetFile
  readonly #columns: string[] | undefined
  readonly #batchRows: number
  readonly #make: RowsOfColumns

  constructor (path: string, file: pw.ParquetFile, schema: DatasetSchema, rowGroupRows: readonly number[], options: ParquetReadOptions) {
    this.path = path
    this.#file = file
    this.schema = schema
    this.rowGroupRows = rowGroupRows
    this.#columns = options.columns === undefined ? undefined : [...options.columns]
    this.#batchRows = options.batchRows ?? DEFAULT_READ_BATCH_ROWS
    this.#make = compileRowsOfColumns(schema.columns.map(c => c.name))
  }

  /** Rows in the file. */
  get rows (): number {
    let n = 0
    for (const r of this.rowGroupRows) n += r
    return n
  }

  /**
   * Batches of records of row group `rowGroup` (default: every row group), skipping its
   * first `skip` rows (a reader resuming in the middle of a row group).
   *
   * @throws {ParquetError} when the file cannot be decoded
   */
  async * batches (rowGroup?: number, skip = 0): AsyncGenerator<Row[]> {
    const groups = rowGroup === undefined ? this.rowGroupRows.map((_, i) => i) : [rowGroup]
    for (const g of groups) {
      const from = rowGroup === undefined ? 0 : skip
      if (from >= (this.rowGroupRows[g] ?? 0)) continue
      let stream: ReadableStream<pw.RecordBatch>
      try {
        stream = await this.#file.stream({
          rowGroups: [g],
          batchSize: this.#batchRows,
          ...(from > 0 ? { offset: from } : {}),
          ...(this.#columns === undefined ? {} : { columns: this.#columns })
        }) as ReadableStream<pw.RecordBatch>
      } catch (err) {
        throw new ParquetError(this.path, `reading row group ${g} failed: ${errorMessage(err)}`, { cause: err })
      }
      const reader = stream.getReader()
      try {
        for (;;) {
          let next: { done: true, value?: undefined } | { done: false, value: pw.RecordBatch }
          try {
            next = await reader.read() as typeof next
          } catch (err) {
            throw new ParquetError(this.path, `reading row group ${g} failed: ${errorMessage(err)}`, { cause: err })
          }
          if (next.done) break
          const js = arrowLibrary('ParquetFileReader.batches').tableFromIPC(next.value.intoIPCStream())
          for (const batch of js.batches) if (batch.numRows > 0) yield this.#rows(batch)
        }
      } finally {
        await reader.cancel().catch(() => {})
        reader.releaseLock()
      }
    }
  }

  /** Releases the file's WebAssembly memory. */
  close (): void {
    this.#file.free()
  }

  #rows (batch: arrow.RecordBatch): Row[] {
    try {
      return rowsOfBatch(batch, this.schema, this.#make)
    } catch (err) {
      throw new ParquetError(this.path, errorMessage(err), { cause: err })
    }
  }
}

/**
 * Opens a Parquet file and reads its footer.
 *
 * @throws {FileNotFoundError} when `path` does not exist
 * @throws {ParquetError} when it is no Parquet file, a column in `columns` is missing, or a column read has a type meshflow has none for
 */
export async function openParquetFile (path: string, options: ParquetReadOptions = {}): Promise<ParquetFileReader> {
  const { arrow: A, pw: P } = await loadParquet()
  let blob: Blob
  try {
    blob = await openAsBlob(path)
  } catch (err) {
    throw readErrorOf(path, err)
  }
  let file: pw.ParquetFile
  try {
    file = await P.ParquetFile.fromFile(blob)
  } catch (err) {
    throw new ParquetError(path, `not a readable Parquet file: ${errorMessage(err)}`, { cause: err })
  }
  try {
    const all = A.tableFromIPC(file.schema().intoIPCStream()).schema
    let fields = all.fields
    if (options.columns !== undefined) {
      fields = options.columns.map(name => {
        const f = all.fields.find(x => x.name === name)
        if (f === undefined) throw new ParquetError(path, `has no column '${name}' (it has ${all.fields.map(x => `'${x.name}'`).join(', ')})`)
        return f
      })
    }
    let schema: DatasetSchema
    try {
      schema = datasetSchemaOf(new A.Schema(fields))
    } catch (err) {
      throw new ParquetError(path, errorMessage(err), { cause: err })
    }
    const meta = file.metadata()
    const rowGroupRows = Array.from({ length: meta.numRowGroups() }, (_, i) => meta.rowGroup(i).numRows())
    return new ParquetFileReader(path, file, schema, rowGroupRows, options)
  } catch (err) {
    file.free()
    if (err instanceof FileConnectorError) throw err
    throw new ParquetError(path, errorMessage(err), { cause: err })
  }
}

/**
 * Reads a whole Parquet file: its schema and its records in batches. For files larger than
 * memory use `openParquetFile` and its `batches()`.
 */
export async function readParquetFile (path: string, options: ParquetReadOptions = {}): Promise<{ schema: DatasetSchema, batches: Row[][] }> {
  const file = await openParquetFile(path, options)
  try {
    const batches: Row[][] = []
    for await (const rows of file.batches()) batches.push(rows)
    return { schema: file.schema, batches }
  } finally {
    file.close()
  }
}
