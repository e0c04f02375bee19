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
import { fileSink } from './file-sink.ts'
import { checkSchema } from './infer-schema.ts'
import { PartitionedSinkWriter } from './partitioned-sink-writer.ts'
import { loadParquet } from './parquet-libs.ts'
import type { ParquetWriteOptions } from './parquet-write.ts'

export interface ParquetSinkOptions {
  /** The output directory; created if missing. */
  readonly path: string
  /** Column(s) whose values name the directories the records go to: `col=value/` (Hive style). */
  readonly partitionBy?: string | readonly string[]
  /** Every column written (partition columns included); default: inferred from the first batch. */
  readonly schema?: DatasetSchema
  /** Compression and row-group size. */
  readonly parquet?: ParquetWriteOptions
  /** Records (as Arrow data in memory) after which a part is written and the next started (default 64 MiB). */
  readonly rollBytes?: number
}

/**
 * Writes records as Parquet part files, exactly once with checkpoints (the file sink's
 * two-phase commit: parts are hidden until the checkpoint that pre-committed them
 * completes; each committed part is a complete Parquet file). With `partitionBy`, records
 * go to Hive-style directories named by their values (`store=s1/part-….parquet`; a null
 * value is `__HIVE_DEFAULT_PARTITION__`, special characters are `%XX`-escaped) and the
 * partition columns are left out of the files; DuckDB reads them back with
 * `read_parquet('out/** /*.parquet', hive_partitioning = true)`.
 *
 * @throws {InvalidArgumentError} on invalid options (at once), or when a partitionBy column is not in the records
 * @throws {ParquetError} while running, when a record does not fit the schema (naming the column)
 * @example
 * sales.sinkTo(parquetSink({ path: 'out/sales', partitionBy: 'store' }))
 * // out/sales/store=s1/part-1f0c2a9b-0-3-0.parquet …
 */
export function parquetSink<T> (options: ParquetSinkOptions): Sink<T> {
  if (typeof options?.path !== 'string' || options.path.length === 0) throw new InvalidArgumentError('parquetSink needs a path')
  const by = options.partitionBy === undefined ? [] : typeof options.partitionBy === 'string' ? [options.partitionBy] : [...options.partitionBy]
  if (by.some(c => typeof c !== 'string' || c.length === 0) || new Set(by).size !== by.length) {
    throw new InvalidArgumentError('parquetSink partitionBy must be a column name or distinct column names')
  }
  if (options.schema !== undefined) {
    checkSchema(options.schema, 'parquetSink schema')
    for (const c of by) if (!options.schema.columns.some(x => x.name === c)) throw new InvalidArgumentError(`parquetSink partitionBy column '${c}' is not in the schema`)
  }
  const rollBytes = options.rollBytes ?? DEFAULT_ROLL_BYTES
  if (by.length === 0) {
    return fileSink<T>({
      path: options.path,
      format: 'parquet',
      rollBytes,
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
        partitionBy: by,
        schema: options.schema,
        parquet: options.parquet,
        rollBytes,
        jobId: context.jobId,
        subtaskIndex: context.subtaskIndex,
        parallelism: context.parallelism,
        ...(context.operatorId === undefined ? {} : { operatorId: context.operatorId })
      })
    }
  }
}
