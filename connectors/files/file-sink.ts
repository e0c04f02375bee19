/**
 * `fileSink`: writes a stream as JSON Lines, CSV or Parquet part files into a directory.
 */
import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Sink, SinkWriterContext } from '../../node/api/sink.ts'
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import { InvalidArgumentError } from '../../node/api/errors.ts'
import { checkDelimiter } from './csv.ts'
import { DEFAULT_ROLL_BYTES } from './constants.ts'
import { writeErrorOf } from './errors.ts'
import { FileSinkWriter } from './file-sink-writer.ts'
import { checkSchema } from './infer-schema.ts'
import { ParquetEncoder } from './parquet-encoder.ts'
import { loadParquet } from './parquet-libs.ts'
import type { ParquetWriteOptions } from './parquet-write.ts'
import { createRecordEncoder, type CsvWriteOptions, type RecordEncoder } from './record-encoder.ts'

export interface FileSinkOptions {
  /** The output directory; created if missing. */
  readonly path: string
  readonly format: 'jsonl' | 'csv' | 'parquet'
  readonly csv?: CsvWriteOptions
  /**
   * Parquet: the columns written and their types. Default: inferred from the first batch a
   * subtask writes (number → DOUBLE, bigint → INT64, boolean, string, Date → TIMESTAMP;
   * epoch-ms numbers stay DOUBLE unless the schema says `timestamp`). Give it when
   * subtasks must agree or a column may start with nulls.
   */
  readonly schema?: DatasetSchema
  /** Parquet: compression and row-group size. */
  readonly parquet?: ParquetWriteOptions
  /**
   * Size at which a part file is closed and the next one started (default 64 MiB). For
   * Parquet it counts the records kept in memory (as Arrow data) until the part is written.
   */
  readonly rollBytes?: number
  /**
   * Age (ms since it was opened) after which a part is closed on the next write and the
   * next one started (default: none), as Flink's `withRolloverInterval`. With
   * checkpointing every part is also closed on each checkpoint, so this matters when
   * checkpoints are rarer than `rollMs`, or absent.
   */
  readonly rollMs?: number
}

/**
 * Writes records one per line into part files in the directory `path`. Each sink subtask
 * writes its own parts, named `part-<first 8 chars of the job id>-<subtask>-<checkpoint>-<seq>.<ext>`
 * (`<checkpoint>` is the id of the checkpoint that committed the part, or `end` for the end
 * of input), so jobs sharing a directory — also a job resumed from a savepoint — never
 * overwrite each other. A part is hidden (its name starts with `.`) until it is committed,
 * so a reader that skips dot-files sees only complete, committed output. A failed or
 * cancelled job leaves no visible file of its own.
 *
 * Exactly-once with checkpointing (two-phase commit, DESIGN §6): on a checkpoint barrier
 * the parts written so far are fsynced and renamed to `.part-…-<checkpoint>-<seq>.<ext>.pending`
 * (pre-committed; they are the sink's checkpoint state), and they are renamed to their
 * visible names when that checkpoint completes. After a failure the job commits the parts
 * of the checkpoint it restores (again; a part already visible is skipped), and what was
 * written after it is replayed into new parts: every record is visible exactly once. At the
 * end of bounded input the last parts become visible when the job's final checkpoint
 * completes. Without checkpointing, the parts become visible when the input ends.
 * A crashed attempt may leave hidden `.inprogress` / `.pending` files behind; they are
 * never committed, and the restarted job removes them once one of its checkpoints has
 * completed (the files a completed checkpoint still needs are committed first); at the end
 * of the job nothing hidden of it remains. Each subtask writes a small hidden claim
 * (`.part-…<ext>.sink`) so that a cleanup never touches the parts of another job or of
 * another sink of the same job sharing the directory.
 *
 * CSV: a header line (from `csv.columns` or the first record's keys) starts each part;
 * fields are quoted per RFC 4180. Parquet: each committed part is a complete Parquet file
 * (Snappy, row groups of 122 880 rows), written whole when the part rolls or is
 * pre-committed; a record that does not fit the schema fails the job naming the column
 * (ParquetError). For Hive-style partition directories use `parquetSink`.
 *
 * @throws {InvalidArgumentError} on invalid options (at once)
 * @throws {FileWriteError} while running, when the file system fails
 * @example
 * env.fromCollection([{ store: 'a', total: 3 }]).sinkTo(fileSink({ path: 'out/totals', format: 'csv' }))
 * await env.execute('totals')   // out/totals/part-1f0c2a9b-0-end-0.csv: "store,total\na,3\n"
 */
export function fileSink<T> (options: FileSinkOptions): Sink<T> {
  if (typeof options?.path !== 'string' || options.path.length === 0) throw new InvalidArgumentError('fileSink needs a path')
  if (options.format !== 'jsonl' && options.format !== 'csv' && options.format !== 'parquet') {
    throw new InvalidArgumentError(`fileSink format must be 'jsonl', 'csv' or 'parquet', got ${String(options.format)}`)
  }
  if (options.schema !== undefined) {
    if (options.format !== 'parquet') throw new InvalidArgumentError('fileSink schema applies to the parquet format')
    checkSchema(options.schema, 'fileSink schema')
  }
  const csv = options.csv ?? {}
  if (csv.delimiter !== undefined) checkDelimiter(csv.delimiter)
  if (csv.columns !== undefined && (!Array.isArray(csv.columns) || csv.columns.some(c => typeof c !== 'string'))) {
    throw new InvalidArgumentError('fileSink csv.columns must be an array of strings')
  }
  const rollBytes = options.rollBytes ?? DEFAULT_ROLL_BYTES
  if (typeof rollBytes !== 'number' || !Number.isInteger(rollBytes) || rollBytes < 1) {
    throw new InvalidArgumentError(`fileSink rollBytes must be a positive integer, got ${String(rollBytes)}`)
  }
  const rollMs = checkRollMs('fileSink', options.rollMs)
  const format = options.format
  const dir = resolve(options.path)
  const encoder = (): RecordEncoder<T> => format === 'parquet'
    ? new ParquetEncoder<T>({ path: dir, schema: options.schema, parquet: options.parquet })
    : createRecordEncoder<T>(format, csv)
  return {
    async createWriter (context: SinkWriterContext): Promise<FileSinkWriter<T>> {
      if (format === 'parquet') await loadParquet()
      try {
        await mkdir(dir, { recursive: true })
      } catch (err) {
        throw writeErrorOf(dir, err)
      }
      return new FileSinkWriter<T>({
        dir,
        extension: format,
        encoder: encoder(),
        rollBytes,
        rollMs,
        jobId: context.jobId,
        subtaskIndex: context.subtaskIndex,
        parallelism: context.parallelism,
        ...(context.operatorId === undefined ? {} : { operatorId: context.operatorId })
      })
    }
  }
}

/**
 * Checks a `rollMs` option (undefined: no time-based rolling).
 *
 * @throws {InvalidArgumentError} unless it is a positive number
 */
export function checkRollMs (sink: string, rollMs: unknown): number | undefined {
  if (rollMs === undefined) return undefined
  if (typeof rollMs !== 'number' || !(rollMs > 0)) throw new InvalidArgumentError(`${sink} rollMs must be a positive number of milliseconds, got ${String(rollMs)}`)
  return rollMs
}
