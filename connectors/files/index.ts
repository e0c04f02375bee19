/**
 * Files as a source and a sink: JSON Lines and CSV. The source reads a file or every
 * visible file of a directory, one split per file, resuming at the exact line after a
 * restore; the sink writes hidden part files and makes them visible when they are
 * committed — at the end of input, or, with checkpointing, exactly once through two-phase
 * commit when the checkpoint that pre-committed them completes — so readers never see
 * partial or duplicated output.
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
 */
export { fileSource, listInputFiles, type FileSourceOptions, type FileSplit, type DeadLetter } from './file-source.ts'
export { FileSourceReader } from './file-source-reader.ts'
export { fileSink, type FileSinkOptions } from './file-sink.ts'
export { FileSinkWriter, type PendingPart, type CleanupRequest, type FileSinkCommittable } from './file-sink-writer.ts'
export type { FileFormat, CsvReadOptions } from './line-decoder.ts'
export type { CsvWriteOptions } from './record-encoder.ts'
export { LineSplitter, type LineSplitterInit } from './line-splitter.ts'
export { parseCsvLine, encodeCsvRow, encodeCsvField } from './csv.ts'
export {
  FileConnectorError, FileNotFoundError, InvalidPathError, MalformedRecordError, LineTooLongError,
  CsvSyntaxError, FileReadError, FileWriteError, PartFileExistsError, PartFileMissingError,
  InvalidCommittableError, type ErrorDomain
} from './errors.ts'
export { DEFAULT_CHUNK_BYTES, DEFAULT_MAX_LINE_BYTES, DEFAULT_ROLL_BYTES } from './constants.ts'
