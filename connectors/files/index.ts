/**
 * Files as a source and a sink: JSON Lines, CSV, text and Parquet. The source reads a file
 * or every visible file of a directory, one split per file (per row group for Parquet),
 * resuming at the exact line (row) after a restore; CSV and JSON Lines can be typed by a
 * DatasetSchema. The sink writes hidden part files and makes them visible when they are
 * committed — at the end of input, or, with checkpointing, exactly once through two-phase
 * commit when the checkpoint that pre-committed them completes — so readers never see
 * partial or duplicated output. `parquetSink` adds Hive-style partition directories (by
 * columns or a function of the record, rolled by size, age and checkpoint), which the
 * Parquet source reads back with their partition columns, and
 * `writeParquetFile` / `openParquetFile` read and write Parquet outside a job (the CLI's
 * dataset import and export). apache-arrow and parquet-wasm load on first Parquet use
 * (they cost ~100 ms of start-up); the synchronous Arrow helpers (`arrowSchemaOf`,
 * `batchOfRows`, `rowsOfBatch`, `encodeParquet`, …) need `await loadParquet()` once first.
 *
 * @example
 * import { StreamEnvironment, OutputTag } from 'meshflow'
 * import { fileSource, fileSink, type DeadLetter } from 'meshflow/connectors/files'
 *
 * const env = StreamEnvironment.create({ parallelism: 2 })
 * const bad = new OutputTag<DeadLetter>('bad-lines')
 * const sales = env.fromSource(fileSource<{ store: string, amount: number }>({ path: 'in/sales', format: 'jsonl', deadLetter: bad }), undefined, 'sales')
 * sales.filter(s => s.amount > 0).sinkTo(fileSink({ path: 'out/sales', format: 'csv' }))
 * const rejected = sales.sideOutput(bad).collect()
 * await env.execute('clean-sales')   // out/sales/part-<job>-<subtask>-end-0.csv, rejected.values lists bad lines
 *
 * // typed CSV in, Parquet partitioned by store out
 * const schema = { columns: [{ name: 'store', type: 'string' }, { name: 'amount', type: 'number' }, { name: 'ts', type: 'timestamp' }] } as const
 * env.fromSource(fileSource({ path: 'in/sales.csv', format: 'csv', schema }), undefined, 'typed')
 *   .sinkTo(parquetSink({ path: 'out/sales-by-store', partitionBy: 'store' }))
 *
 * // a lake by day and store, parts rolled every minute; read back with dt and store
 * sales.sinkTo(parquetSink<{ store: string, amount: number, ts: number }>({ path: 'lake/sales', rollMs: 60_000,
 *   partitionBy: s => ({ dt: new Date(s.ts).toISOString().slice(0, 10), store: s.store }) }))
 * env.fromSource(fileSource({ path: 'lake/sales', format: 'parquet', schema: { columns: [{ name: 'dt', type: 'timestamp' }] } }), undefined, 'lake')
 */
export { fileSource, listInputFiles, type FileSourceOptions, type FileSplit, type ParquetSplit, type DeadLetter } from './file-source.ts'
export { FileSourceReader } from './file-source-reader.ts'
export { ParquetSourceReader } from './parquet-source-reader.ts'
export { fileSink, type FileSinkOptions } from './file-sink.ts'
export { readFiles, writeFiles } from './data-set-files.ts'
export { parquetSink, type ParquetSinkOptions } from './parquet-sink.ts'
export { FileSinkWriter, type PendingPart, type CleanupRequest, type FileSinkCommittable } from './file-sink-writer.ts'
export { PartitionedSinkWriter, hivePartitionValue, checkPartitionName, HIVE_NULL_PARTITION, type PartitionFunction, type PartitionValue } from './partitioned-sink-writer.ts'
export type { FileFormat, LineFormat, CsvReadOptions } from './line-decoder.ts'
export { convertText, convertJson } from './typed-values.ts'
export { inferCsvSchema, inferColumn, inferRecordSchema, checkSchema, DEFAULT_INFER_ROWS, type InferCsvOptions } from './infer-schema.ts'
export { openParquetFile, readParquetFile, ParquetFileReader, DEFAULT_READ_BATCH_ROWS, type ParquetReadOptions } from './parquet-read.ts'
export { writeParquetFile, encodeParquet, ParquetFileWriter, DEFAULT_ROW_GROUP_ROWS, type ParquetWriteOptions, type ParquetWriteResult } from './parquet-write.ts'
export { loadParquet, type ParquetLibraries } from './parquet-libs.ts'
export { listPartitionedFiles, parseHiveDirectory, unescapeHive, partitionValuesOf, type PartitionedFile } from './hive-partitions.ts'
export { arrowSchemaOf, arrowTypeOf, columnTypeOf, datasetSchemaOf } from './arrow-schema.ts'
export { batchOfRows } from './arrow-builder.ts'
export { rowsOfBatch } from './arrow-rows.ts'
export type { CsvWriteOptions } from './record-encoder.ts'
export { LineSplitter, type LineSplitterInit } from './line-splitter.ts'
export { parseCsvLine, encodeCsvRow, encodeCsvField } from './csv.ts'
export {
  FileConnectorError, FileNotFoundError, InvalidPathError, MalformedRecordError, LineTooLongError,
  CsvSyntaxError, FileReadError, FileWriteError, PartFileExistsError, PartFileMissingError,
  InvalidCommittableError, ColumnValueError, InvalidValueError, ParquetError, ParquetNotLoadedError, type ErrorDomain
} from './errors.ts'
export { DEFAULT_CHUNK_BYTES, DEFAULT_MAX_LINE_BYTES, DEFAULT_ROLL_BYTES } from './constants.ts'
