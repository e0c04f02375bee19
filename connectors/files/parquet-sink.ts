/**
 * `parquetSink`: Parquet part files, optionally in Hive-style partition directories.
 */
import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Sink, SinkWriter, SinkWriterContext } from '../../node/api/sink.ts'
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import { InvalidArgumentError } from '../../node/api/errors.ts'
import { DEFAULT_ROLL_BYTES } from './constants.ts'
import { writeErrorOf } from './errors.ts'
import { checkRollMs, fileSink } from './file-sink.ts'
import { checkSchema } from './infer-schema.ts'
import { checkPartitionName, PartitionedSinkWriter, type PartitionFunction } from './partitioned-sink-writer.ts'
import { loadParquet } from './parquet-libs.ts'
import type { ParquetWriteOptions } from './parquet-write.ts'

export interface ParquetSinkOptions<T = unknown> {
  /** The output directory; created if missing. */
  readonly path: string
  /**
   * Where a record goes: `col=value/` directories (Hive style), one level per partition
   * column. Either column(s) of the records, or a function of the record returning an
   * ordered object of partition column → value (`r => ({ dt: day(r.ts), store: r.store })`:
   * `dt=2024-03-01/store=rome/`) — Flink's BucketAssigner, in Hive's shape. The partition
   * columns are never stored in the files: the directory names hold them (a record field
   * of the same name is left out of the files).
   */
  readonly partitionBy?: string | readonly string[] | PartitionFunction<T>
  /** Every column of the records (the partitionBy columns included); default: inferred from the first batch. */
  readonly schema?: DatasetSchema
  /** Compression and row-group size. */
  readonly parquet?: ParquetWriteOptions
  /** Records (as Arrow data in memory) after which a part is written and the next started (default 64 MiB). */
  readonly rollBytes?: number
  /**
   * Age (ms since it was opened) after which a part is written and the next started,
   * checked on every write (in every partition directory); default: none. Flink's
   * `withRolloverInterval`. With checkpointing every part also rolls on each checkpoint
   * (a Parquet file cannot be appended to), so this matters when checkpoints are rarer.
   */
  readonly rollMs?: number
}

/**
 * Writes records as Parquet part files, exactly once with checkpoints (the file sink's
 * two-phase commit: parts are hidden until the checkpoint that pre-committed them
 * completes; each committed part is a complete Parquet file). With `partitionBy`, records
 * go to Hive-style directories named by their values (`store=s1/part-….parquet`; a null
 * value is `__HIVE_DEFAULT_PARTITION__`, special characters are `%XX`-escaped) and the
 * partition columns are left out of the files; DuckDB reads them back with
 * `read_parquet('out/** /*.parquet', hive_partitioning = true)`, and so does
 * `fileSource({ path: 'out', format: 'parquet' })`. A part rolls at `rollBytes`, after
 * `rollMs`, and on every checkpoint.
 *
 * @throws {InvalidArgumentError} on invalid options (at once), or while running when a partitionBy column is not in the
 *   records or a partitionBy function returns other columns than for the first record
 * @throws {ParquetError} while running, when a record does not fit the schema (naming the column)
 * @example
 * sales.sinkTo(parquetSink({ path: 'out/sales', partitionBy: 'store' }))
 * // out/sales/store=s1/part-1f0c2a9b-0-3-0.parquet …
 * events.sinkTo(parquetSink<Event>({ path: 'lake/events', partitionBy: e => ({ dt: new Date(e.ts).toISOString().slice(0, 10), store: e.store }), rollMs: 60_000 }))
 * // lake/events/dt=2024-03-01/store=rome/part-….parquet …
 */
export function parquetSink<T> (options: ParquetSinkOptions<T>): Sink<T> {
  if (typeof options?.path !== 'string' || options.path.length === 0) throw new InvalidArgumentError('parquetSink needs a path')
  const partitionBy = options.partitionBy
  const fn = typeof partitionBy === 'function' ? partitionBy : undefined
  const by: string[] = partitionBy === undefined || typeof partitionBy === 'function' ? [] : typeof partitionBy === 'string' ? [partitionBy] : [...partitionBy]
  if (by.some(c => typeof c !== 'string' || c.length === 0) || new Set(by).size !== by.length) {
    throw new InvalidArgumentError('parquetSink partitionBy must be a column name, distinct column names or a function of the record')
  }
  for (const c of by) checkPartitionName(c)
  if (options.schema !== undefined) {
    checkSchema(options.schema, 'parquetSink schema')
    for (const c of by) if (!options.schema.columns.some(x => x.name === c)) throw new InvalidArgumentError(`parquetSink partitionBy column '${c}' is not in the schema`)
  }
  const rollBytes = options.rollBytes ?? DEFAULT_ROLL_BYTES
  const rollMs = checkRollMs('parquetSink', options.rollMs)
  if (by.length === 0 && fn === undefined) {
    return fileSink<T>({
      path: options.path,
      format: 'parquet',
      rollBytes,
      ...(rollMs === undefined ? {} : { rollMs }),
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.parquet === undefined ? {} : { parquet: options.parquet })
    })
  }
  if (!Number.isInteger(rollBytes) || rollBytes < 1) throw new InvalidArgumentError(`parquetSink rollBytes must be a positive integer, got ${String(rollBytes)}`)
  const root = resolve(options.path)
  return {
    async createWriter (context: SinkWriterContext): Promise<SinkWriter<T>> {
      await loadParquet()
      try {
        await mkdir(root, { recursive: true })
      } catch (err) {
        throw writeErrorOf(root, err)
      }
      return new PartitionedSinkWriter<T>({
        root,
        partitionBy: fn ?? by,
        schema: options.schema,
        parquet: options.parquet,
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
