/**
 * Writing Parquet files with parquet-wasm (the Rust `parquet` crate compiled to
 * WebAssembly) from Arrow record batches built by arrow-builder.ts. Snappy-compressed,
 * statistics on, row groups of at most `rowGroupRows` rows. The CLI's `dataset export`
 * uses `writeParquetFile` or, for more rows than fit in memory, `ParquetFileWriter`.
 *
 * @example
 * await writeParquetFile('out/sales.parquet', schema, rows)
 * const w = await ParquetFileWriter.open('out/big.parquet', schema)
 * for await (const batch of batches) await w.write(batch)
 * await w.close()   // { rows, bytes }
 */
import { open, rm, type FileHandle } from 'node:fs/promises'
import type * as arrow from 'apache-arrow'
import type * as pw from 'parquet-wasm'
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import { batchOfRows } from './arrow-builder.ts'
import { arrowSchemaOf } from './arrow-schema.ts'
import { arrowLibrary, loadParquet, parquetLibrary } from './parquet-libs.ts'
import { ColumnValueError, ParquetError, writeErrorOf } from './errors.ts'
import { errorMessage } from '../../protocol/error-message.ts'

/** Rows per row group by default: DuckDB's own choice, a good unit for skipping and splits. */
export const DEFAULT_ROW_GROUP_ROWS = 122_880

export interface ParquetWriteOptions {
  /** Page compression (default `snappy`, which every Parquet reader supports). */
  readonly compression?: 'snappy' | 'zstd' | 'gzip' | 'none'
  /** Most rows in one row group (default 122 880). */
  readonly rowGroupRows?: number
}

/** What a finished file holds. */
export interface ParquetWriteResult {
  readonly rows: number
  readonly bytes: number
}

function writerProperties (options: ParquetWriteOptions): pw.WriterProperties {
  const P = parquetLibrary('writerProperties')
  const compression = { snappy: P.Compression.SNAPPY, zstd: P.Compression.ZSTD, gzip: P.Compression.GZIP, none: P.Compression.UNCOMPRESSED }
  return new P.WriterPropertiesBuilder()
    .setCompression(compression[options.compression ?? 'snappy'])
    .setMaxRowGroupSize(options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS)
    .setCreatedBy('meshflow')
    .build()
}

/** Moves a JS Arrow table into WebAssembly memory (through the IPC stream format). */
function wasmTableOf (table: arrow.Table): pw.Table {
  return parquetLibrary('encodeParquet').Table.fromIPCStream(arrowLibrary('encodeParquet').tableToIPC(table, 'stream'))
}

/** A whole Parquet file of `batches` (all in `arrowSchema`), in memory. */
export function encodeParquet (batches: readonly arrow.RecordBatch[], arrowSchema: arrow.Schema, options: ParquetWriteOptions = {}): Uint8Array {
  const A = arrowLibrary('encodeParquet')
  // writeParquet takes the table (it frees it)
  return parquetLibrary('encodeParquet').writeParquet(wasmTableOf(new A.Table(arrowSchema, [...batches])), writerProperties(options))
}

/** Rows as a record batch, a misfit named by `path`. */
function batchFor (path: string, rows: readonly unknown[], schema: DatasetSchema, arrowSchema: arrow.Schema): arrow.RecordBatch {
  try {
    return batchOfRows(rows, schema, arrowSchema)
  } catch (err) {
    if (err instanceof ColumnValueError) throw new ParquetError(path, `a record does not fit the schema: ${err.message}`, { cause: err })
    throw err
  }
}

/**
 * Writes `rows` (an array, or an iterable of row arrays) as one Parquet file at `path`,
 * replacing it. Streams: memory holds one row group, not the file.
 *
 * @throws {ParquetError} when a record does not fit `schema` (naming the column); the file is removed
 * @throws {FileWriteError} when the file system fails
 */
export async function writeParquetFile (path: string, schema: DatasetSchema, rows: readonly unknown[] | Iterable<readonly unknown[]> | AsyncIterable<readonly unknown[]>, options: ParquetWriteOptions = {}): Promise<ParquetWriteResult> {
  const writer = await ParquetFileWriter.open(path, schema, options)
  try {
    if (Array.isArray(rows)) {
      const step = options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS
      for (let i = 0; i < rows.length; i += step) await writer.write(rows.slice(i, i + step))
    } else {
      for await (const batch of rows as AsyncIterable<readonly unknown[]>) await writer.write(batch)
    }
  } catch (err) {
    await writer.abort()
    throw err
  }
  return await writer.close()
}

/**
 * A Parquet file written batch by batch: each `write` hands one record batch to the
 * streaming writer (`transformParquetStream`), which emits a row group whenever
 * `rowGroupRows` rows are buffered; the bytes go to the file as they come, the footer on
 * `close`. Memory holds about one row group.
 */
export class ParquetFileWriter {
  readonly path: string
  readonly schema: DatasetSchema
  readonly #arrowSchema: arrow.Schema
  readonly #handle: FileHandle
  /** Batches handed over and not yet pulled by the Parquet writer (at most one). */
  readonly #queue: Array<pw.RecordBatch | null> = []
  #pulled: (() => void) | undefined
  #wake: (() => void) | undefined
  readonly #pump: Promise<void>
  #failure: unknown
  #rows = 0
  #bytes = 0
  #closed = false

  private constructor (path: string, schema: DatasetSchema, handle: FileHandle, options: ParquetWriteOptions) {
    this.path = path
    this.schema = schema
    this.#arrowSchema = arrowSchemaOf(schema)
    this.#handle = handle
    this.#pump = this.#run(options)
    // the pump's failure surfaces on the next write or close
    this.#pump.catch(err => { this.#failure ??= err })
  }

  /** Creates (or truncates) `path` and starts writing. */
  static async open (path: string, schema: DatasetSchema, options: ParquetWriteOptions = {}): Promise<ParquetFileWriter> {
    await loadParquet()
    let handle: FileHandle
    try {
      handle = await open(path, 'w')
    } catch (err) {
      throw writeErrorOf(path, err)
    }
    return new ParquetFileWriter(path, schema, handle, options)
  }

  /** Rows written so far. */
  get rows (): number {
    return this.#rows
  }

  /** Appends rows; resolves once the Parquet writer took them (backpressure). */
  async write (rows: readonly unknown[]): Promise<void> {
    if (this.#closed) throw new Error('ParquetFileWriter.write after close()')
    this.#check()
    if (rows.length === 0) return
    await this.#hand(this.#wasmBatch(batchFor(this.path, rows, this.schema, this.#arrowSchema)))
    this.#rows += rows.length
  }

  #wasmBatch (batch: arrow.RecordBatch): pw.RecordBatch {
    const table = wasmTableOf(new (arrowLibrary('ParquetFileWriter.write').Table)(this.#arrowSchema, [batch]))
    try {
      return table.recordBatch(0)!
    } finally {
      table.free()
    }
  }

  /** Writes the footer and closes the file. */
  async close (): Promise<ParquetWriteResult> {
    if (this.#closed) return { rows: this.#rows, bytes: this.#bytes }
    // a file of no rows still has the schema: the Parquet writer needs one batch to learn it
    if (this.#rows === 0) await this.#hand(this.#wasmBatch(batchOfRows([], this.schema, this.#arrowSchema)))
    this.#closed = true
    this.#queue.push(null)
    this.#wake?.()
    try {
      await this.#pump
      await this.#handle.sync()
    } catch (err) {
      throw this.#failure instanceof Error ? this.#failure : writeErrorOf(this.path, err)
    } finally {
      await this.#handle.close()
    }
    return { rows: this.#rows, bytes: this.#bytes }
  }

  /** Stops and removes the file. */
  async abort (): Promise<void> {
    if (!this.#closed) {
      this.#closed = true
      this.#queue.push(null)
      this.#wake?.()
      await this.#pump.catch(() => {})
      await this.#handle.close().catch(() => {})
    }
    await rm(this.path, { force: true })
  }

  #check (): void {
    if (this.#failure !== undefined) throw this.#failure instanceof ParquetError ? this.#failure : new ParquetError(this.path, `writing failed: ${errorMessage(this.#failure)}`, { cause: this.#failure })
  }

  #hand (batch: pw.RecordBatch): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push(batch)
      this.#pulled = () => {
        try {
          this.#check()
          resolve()
        } catch (err) {
          reject(err)
        }
      }
      this.#wake?.()
    })
  }

  async #run (options: ParquetWriteOptions): Promise<void> {
    const input = new ReadableStream<pw.RecordBatch>({
      pull: async controller => {
        while (this.#queue.length === 0) await new Promise<void>(resolve => { this.#wake = resolve })
        this.#wake = undefined
        const next = this.#queue.shift()!
        if (next === null) controller.close()
        else controller.enqueue(next)
        const pulled = this.#pulled
        this.#pulled = undefined
        pulled?.()
      }
    }, { highWaterMark: 0 })
    const output = await parquetLibrary('ParquetFileWriter').transformParquetStream(input, writerProperties(options))
    try {
      for await (const chunk of output as unknown as AsyncIterable<Uint8Array>) {
        let offset = 0
        while (offset < chunk.length) {
          const { bytesWritten } = await this.#handle.write(chunk, offset, chunk.length - offset)
          offset += bytesWritten
        }
        this.#bytes += chunk.length
      }
    } catch (err) {
      this.#failure ??= err
      // release a writer waiting for its batch to be taken
      const pulled = this.#pulled
      this.#pulled = undefined
      pulled?.()
      throw err
    }
  }
}
