/**
 * `fileSource`: a bounded source reading JSON Lines, CSV, text or Parquet from a file or a
 * directory.
 */
import { readdir, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { Source, SourceSplit } from '../../node/api/source.ts'
import type { OutputTag } from '../../node/api/output-tag.ts'
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import { InvalidArgumentError } from '../../node/api/errors.ts'
import { checkDelimiter } from './csv.ts'
import { DEFAULT_CHUNK_BYTES, DEFAULT_MAX_LINE_BYTES, DEFAULT_SPLIT_BYTES } from './constants.ts'
import { byteRanges } from './byte-ranges.ts'
import { InvalidPathError, readErrorOf } from './errors.ts'
import { FileSourceReader } from './file-source-reader.ts'
import type { CsvReadOptions, FileFormat, LineFormat } from './line-decoder.ts'
import { checkSchema } from './infer-schema.ts'
import { fileReadOptions, listPartitionedFiles, partitionValuesOf } from './hive-partitions.ts'
import { DEFAULT_READ_BATCH_ROWS, openParquetFile } from './parquet-read.ts'
import { ParquetSourceReader } from './parquet-source-reader.ts'

/** A line that could not be decoded, as sent to the dead-letter side output. */
export interface DeadLetter {
  /** The file the line is in. */
  readonly path: string
  /** 1-based line number. */
  readonly line: number
  /** The line as read (without its terminator). */
  readonly text: string
  /** Why it could not be decoded. */
  readonly error: string
}

export interface FileSourceOptions {
  /**
   * A file, or a directory whose files are all read (names starting with `.` or `_` are
   * skipped). Parquet: also the files of its Hive-style `name=value` subdirectories, at
   * any depth (`dt=2024-03-01/store=rome/part-0.parquet`), whose records get the partition
   * columns the directory names hold (see `schema`).
   */
  readonly path: string
  readonly format: FileFormat
  readonly csv?: CsvReadOptions
  /**
   * CSV and JSON Lines: type the records by this schema. A record then holds exactly the
   * schema's columns in order (CSV: found in the header by name, or the fields in order
   * with `csv.header: false`; JSON: a missing field is null), each converted to its type:
   * `number` (float64), `int64` (bigint), `boolean` (true/false/1/0), `timestamp` (epoch
   * ms, from an integer or ISO-8601 text; text without a zone is UTC), `string`. An empty
   * CSV field is null. A value that does not convert fails the job naming the file, line,
   * column and value (InvalidValueError), or goes to `deadLetter`. Without a schema CSV
   * values stay strings and JSON stays as parsed.
   *
   * Parquet: the types of the Hive partition columns read from directory names (a
   * partition column the schema does not name is a string; `__HIVE_DEFAULT_PARTITION__` is
   * null); the files' own columns keep the types the files give them.
   */
  readonly schema?: DatasetSchema
  /** Parquet: read only these columns, in this order (default all; partition columns may be named). */
  readonly columns?: readonly string[]
  /** Parquet: records per decoded batch (default 32 768); bounds the reader's memory. */
  readonly batchRows?: number
  /**
   * Where malformed lines go. Without it a malformed line fails the job with an error
   * naming the file and line; with it the line is emitted to this side output and
   * reading goes on.
   */
  readonly deadLetter?: OutputTag<DeadLetter>
  /** Bytes per read (default 64 KiB). */
  readonly chunkBytes?: number
  /** Longest accepted line (default 16 MiB); bounds the reader's memory. */
  readonly maxLineBytes?: number
  /**
   * CSV, JSON Lines, text: a file larger than this is cut into byte ranges at line starts,
   * at most one per subtask, so one large file is read in parallel (default 8 MiB). A CSV
   * file with a double quote anywhere is read whole (a quoted field may hold a line break).
   */
  readonly splitBytes?: number
}

/**
 * One file, or one byte range of a large file. Its fields are its position, so a snapshot
 * of the split is the reader's state and a restored reader resumes at exactly the next
 * unread line.
 */
export interface FileSplit extends SourceSplit {
  /** The file's absolute path (the split id, with `#offset` for a range after the first). */
  readonly path: string
  /** Byte offset of the next unread line. */
  readonly offset: number
  /** 1-based number of the line at `offset`. */
  readonly line: number
  /** A range ends before the line starting at or after this byte offset (the next range's start); absent: at the end of the file. */
  readonly end?: number
}

/**
 * One row group of a Parquet file: Parquet files are split by row group, so a large file
 * is read by several subtasks. The split's position is the rows of its group already read.
 */
export interface ParquetSplit extends SourceSplit {
  /** The file's absolute path. */
  readonly path: string
  /** 0-based row group index. */
  readonly rowGroup: number
  /** Rows of the row group already read: a restored reader skips them. */
  readonly row: number
  /** Partition values named by the Hive directories the file is in (text as named; null for Hive's null). */
  readonly partitions?: Readonly<Record<string, string | null>>
}

/** Options with defaults filled in, as the reader uses them. */
export interface ResolvedFileSourceOptions {
  readonly format: LineFormat
  readonly csv: CsvReadOptions
  readonly schema: DatasetSchema | undefined
  readonly deadLetter: OutputTag<DeadLetter> | undefined
  readonly chunkBytes: number
  readonly maxLineBytes: number
}

/**
 * The files of `path` in name order: `path` itself when it is a file, else the regular
 * files of the directory (not recursive) whose names do not start with `.` or `_` — the
 * names the file sink gives to files it has not committed.
 *
 * @throws {FileNotFoundError} when `path` does not exist
 */
export async function listInputFiles (path: string): Promise<string[]> {
  const root = resolve(path)
  let info
  try {
    info = await stat(root)
  } catch (err) {
    throw readErrorOf(root, err)
  }
  if (info.isFile()) return [root]
  if (!info.isDirectory()) throw new InvalidPathError(root, 'is neither a file nor a directory')
  let entries
  try {
    entries = await readdir(root, { withFileTypes: true })
  } catch (err) {
    throw readErrorOf(root, err)
  }
  const files: string[] = []
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name.startsWith('_')) continue
    const p = join(root, e.name)
    if (e.isFile()) files.push(p)
    else if (e.isSymbolicLink()) {
      // follow links; a dangling one is skipped like any non-file entry
      const target = await stat(p).catch(() => undefined)
      if (target?.isFile() === true) files.push(p)
    }
  }
  return files.sort()
}

function positiveInt (what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`fileSource ${what} must be a positive integer, got ${String(n)}`)
  return n
}

/**
 * Reads JSON Lines (one JSON value per line), CSV, text (one string per line) or Parquet
 * files as a bounded stream. Line formats: one split per file, read in chunks with bounded
 * memory; empty lines are skipped; CSV values stay strings unless `schema` types them, and
 * a quoted CSV field may hold line breaks (kept as written). Parquet: one split per row
 * group, records typed as the file says (INT64 → bigint, DOUBLE and smaller numbers →
 * number, strings, booleans, timestamps and dates → epoch ms, nulls → null); in a Hive-style
 * layout (`dt=…/store=…/`, as parquetSink writes and DuckDB reads with
 * `hive_partitioning`), every record also gets the partition columns of its directories,
 * after the file's columns, typed by `schema` or else strings.
 *
 * @throws {InvalidArgumentError} on invalid options (at once)
 * @throws {FileNotFoundError} when the job starts and `path` does not exist
 * @throws {MalformedRecordError} while running, for a malformed line without `deadLetter`
 * @throws {InvalidValueError} while running, for a value that does not fit `schema` without `deadLetter`
 * @throws {ParquetError} when the job starts, for a file that is no Parquet or lacks a column of `columns`, or a
 *   partition directory whose value does not convert to its type in `schema`
 * @example
 * const bad = new OutputTag<DeadLetter>('bad-lines')
 * const sales = env.fromSource(fileSource<Sale>({ path: 'in/sales', format: 'jsonl', deadLetter: bad }),
 *                              WatermarkStrategy.noWatermarks(), 'sales')
 * sales.sideOutput(bad).print('bad')
 */
export function fileSource<T> (options: FileSourceOptions & { readonly format: LineFormat }): Source<T, FileSplit>
export function fileSource<T> (options: FileSourceOptions & { readonly format: 'parquet' }): Source<T, ParquetSplit>
export function fileSource<T> (options: FileSourceOptions): Source<T, FileSplit | ParquetSplit>
export function fileSource<T> (options: FileSourceOptions): Source<T, FileSplit> | Source<T, ParquetSplit> {
  if (typeof options?.path !== 'string' || options.path.length === 0) throw new InvalidArgumentError('fileSource needs a path')
  const format = options.format
  if (format !== 'jsonl' && format !== 'csv' && format !== 'text' && format !== 'parquet') {
    throw new InvalidArgumentError(`fileSource format must be 'jsonl', 'csv', 'text' or 'parquet', got ${String(format)}`)
  }
  const path = options.path
  if (format === 'parquet') return parquetSource<T>(path, options)
  const csv = options.csv ?? {}
  if (csv.delimiter !== undefined) checkDelimiter(csv.delimiter)
  if (csv.columns !== undefined && (!Array.isArray(csv.columns) || csv.columns.some(c => typeof c !== 'string'))) {
    throw new InvalidArgumentError('fileSource csv.columns must be an array of strings')
  }
  if (options.schema !== undefined) {
    if (format === 'text') throw new InvalidArgumentError('fileSource schema applies to csv and jsonl, not text')
    checkSchema(options.schema, 'fileSource schema')
  }
  const resolved: ResolvedFileSourceOptions = {
    format,
    csv,
    schema: options.schema,
    deadLetter: options.deadLetter,
    chunkBytes: positiveInt('chunkBytes', options.chunkBytes ?? DEFAULT_CHUNK_BYTES),
    maxLineBytes: positiveInt('maxLineBytes', options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)
  }
  const splitBytes = positiveInt('splitBytes', options.splitBytes ?? DEFAULT_SPLIT_BYTES)
  return {
    bounded: true,
    async createSplits (parallelism, context): Promise<FileSplit[]> {
      const splits: FileSplit[] = []
      for (const p of await listInputFiles(path)) {
        const size = parallelism > 1 ? await stat(p).then(s => s.size, err => { throw readErrorOf(p, err) }) : 0
        const starts = await byteRanges(p, { size, parts: parallelism, splitBytes, csv: format === 'csv', ...(context?.signal === undefined ? {} : { signal: context.signal }) })
        starts.forEach((s, i) => {
          const next = starts[i + 1]
          splits.push({ id: i === 0 ? p : `${p}#${s.offset}`, path: p, offset: s.offset, line: s.line, ...(next === undefined ? {} : { end: next.offset }) })
        })
      }
      return splits
    },
    createReader: context => new FileSourceReader<T>(resolved, context)
  }
}

/**
 * Parquet files (in Hive partition directories too) split by row group; each file's footer
 * is read when the splits are made.
 */
function parquetSource<T> (path: string, options: FileSourceOptions): Source<T, ParquetSplit> {
  const columns = options.columns
  if (columns !== undefined && (!Array.isArray(columns) || columns.length === 0 || columns.some(c => typeof c !== 'string'))) {
    throw new InvalidArgumentError('fileSource columns must be a non-empty array of strings')
  }
  if (options.schema !== undefined) checkSchema(options.schema, 'fileSource schema')
  const partitionTypes = new Map((options.schema?.columns ?? []).map(c => [c.name, c.type]))
  const batchRows = positiveInt('batchRows', options.batchRows ?? DEFAULT_READ_BATCH_ROWS)
  return {
    bounded: true,
    async createSplits (): Promise<ParquetSplit[]> {
      const splits: ParquetSplit[] = []
      for (const { path: p, partitions } of await listPartitionedFiles(path)) {
        // a directory value that does not fit its type fails now, not halfway through the job
        if (partitions !== undefined) partitionValuesOf(partitions, partitionTypes, dirname(p))
        // the footer also checks that the file is Parquet and has the columns asked for
        const file = await openParquetFile(p, fileReadOptions(columns, partitions))
        file.close()
        file.rowGroupRows.forEach((rows, g) => {
          if (rows > 0) splits.push({ id: `${p}#${g}`, path: p, rowGroup: g, row: 0, ...(partitions === undefined ? {} : { partitions }) })
        })
      }
      return splits
    },
    createReader: context => new ParquetSourceReader<T>({ columns, batchRows, partitionTypes }, context)
  }
}
