/**
 * Streams and datasets (DESIGN §3, §6): `datasetSink(name)` appends a stream to a dataset
 * exactly once, `datasetSource(name)` reads a dataset as a bounded stream.
 *
 * `stream.sinkTo(datasetSink('sales'))` adds two operators: a segment writer chained to the
 * stream (parallel; it partitions the rows as the dataset is and stores them as segments)
 * and one committer. With checkpointing, the writers store what they buffered at every
 * barrier and send the segments' references ahead of it (the pre-commit); the committer
 * holds the references of each checkpoint in its state and commits them as one new
 * version when the checkpoint completes, with a commit id of the job and checkpoint, so a
 * commit retried after a restore is a no-op. After a failure no row is lost or doubled:
 * the sources replay exactly the rows no completed checkpoint covers. A version therefore
 * becomes visible one checkpoint interval (plus the commit) after its rows arrived, and
 * every checkpoint with input adds a few small segments per partition (one per writer
 * subtask and partition that got rows). Without checkpointing the committer commits one
 * version at the end of the (bounded) input, as `writeDataset` does.
 *
 * @example
 * env.enableCheckpointing(1_000)
 * sales.sinkTo(datasetSink('sales', { partitionBy: 'store', partitions: 4 })).uid('sales-history')
 * // later, the history as a bounded stream (or env.readDataset('sales') as a DataSet)
 * env.fromSource(datasetSource<Sale>('sales'), WatermarkStrategy.forMonotonousTimestamps<Sale>().withTimestampAssigner(s => s.ts), 'history')
 */
import type { DatasetSchema } from './dataset-schema.ts'
import type { Source } from './source.ts'
import type { SinkTopology } from './sink.ts'
import type { Transformation } from '../graph/transformation.ts'
import { DataStreamSink, type DataStream } from './data-stream.ts'
import { InvalidArgumentError } from './errors.ts'
import { checkDatasetName, datasetTarget } from './dataset-write.ts'
import { DatasetWriterOperator } from '../runtime/datasets/dataset-writer-operator.ts'
import { datasetAppendCommitSink } from '../runtime/datasets/dataset-commit-sink.ts'
import { datasetSource as scanSource, type DatasetSourceOptions, type DatasetSplit } from '../runtime/datasets/dataset-source.ts'
import { SinkOperator } from '../runtime/operators/sink-operator.ts'

export type { DatasetSourceOptions, DatasetSplit }

export interface DatasetSinkOptions {
  /** Hash-partitions the rows on this column (default: as the dataset is, else round-robin). */
  readonly partitionBy?: string
  /** Number of partitions (default: as the dataset is, else the writer's parallelism). */
  readonly partitions?: number
  /**
   * The columns (default: the dataset's, else inferred from each writer's first rows —
   * give one when early rows may not show every column's type, e.g. nulls).
   */
  readonly schema?: DatasetSchema
}

/** The end of a stream written to a dataset: settings apply to the writer and the committer as fits. */
class DatasetStreamSink<T> extends DataStreamSink<T> {
  readonly #writer: Transformation
  readonly #committer: Transformation

  constructor (writer: Transformation, committer: Transformation) {
    super(committer)
    this.#writer = writer
    this.#committer = committer
  }

  /** Ids both operators: the committer `uid`, the writer `uid/writer`. */
  override uid (uid: string): this {
    if (typeof uid !== 'string' || uid.length === 0) throw new InvalidArgumentError('uid needs a non-empty string')
    this.#committer.uid = uid
    this.#writer.uid = `${uid}/writer`
    return this
  }

  override name (name: string): this {
    this.#committer.name = `commit ${name}`
    this.#writer.name = `write ${name}`
    return this
  }

  /** The writer's parallelism; the committer always runs as one subtask. */
  override setParallelism (parallelism: number): this {
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new InvalidArgumentError(`Parallelism must be a positive integer, got ${parallelism}`)
    this.#writer.parallelism = parallelism
    return this
  }

  override placement (labels: Readonly<Record<string, string>>): this {
    this.#writer.placement = { ...labels }
    this.#committer.placement = { ...labels }
    return this
  }
}

/**
 * A sink that appends the stream's records (objects with a field per column) to dataset
 * `name`, exactly once under checkpoints (see the module comment). The dataset is created
 * by the first commit when it does not exist.
 *
 * @throws {InvalidArgumentError} when `name` is not a dataset name or an option is invalid
 */
export function datasetSink<T extends object = Record<string, unknown>> (name: string, options: DatasetSinkOptions = {}): SinkTopology<T> {
  checkDatasetName('datasetSink', name)
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`datasetSink('${name}') takes an options object`)
  const what = `datasetSink('${name}')`
  return {
    addTo (input: DataStream<T>, _name: string): DataStreamSink<T> {
      const env = input.environment
      const target = datasetTarget(env, what, name, options)
      const writer = env.addTransformation({
        kind: 'operator',
        name: `write ${name}`,
        inputs: [input.transformation],
        factory: () => new DatasetWriterOperator({ ...target, commitOnCheckpoint: true })
      })
      const sink = datasetAppendCommitSink(target)
      const committer = env.addTransformation({ kind: 'operator', name: `commit ${name}`, inputs: [writer], factory: () => new SinkOperator(sink), isSink: true })
      committer.parallelism = 1
      return new DatasetStreamSink<T>(writer, committer)
    }
  }
}

/**
 * Dataset `name` as a bounded source, for `env.fromSource(datasetSource('sales'), strategy,
 * 'history')`: replays a version (by default the one the job is pinned to at submit, the
 * latest) through a streaming job, one split per partition; `columns` and `predicate`
 * are pushed into the scan. Event time comes from the watermark strategy's timestamp
 * assigner, as for any source.
 *
 * @throws {InvalidArgumentError} when `name` is not a dataset name or `version` is not a positive integer
 */
export function datasetSource<T = Record<string, unknown>> (name: string, options: DatasetSourceOptions = {}): Source<T, DatasetSplit> {
  checkDatasetName('datasetSource', name)
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`datasetSource('${name}') takes an options object`)
  if (options.version !== undefined && (!Number.isInteger(options.version) || options.version < 1)) {
    throw new InvalidArgumentError(`datasetSource('${name}'): version must be a positive integer, got ${String(options.version)}`)
  }
  if (options.columns !== undefined && (!Array.isArray(options.columns) || options.columns.some(c => typeof c !== 'string'))) {
    throw new InvalidArgumentError(`datasetSource('${name}'): columns must be an array of column names`)
  }
  return scanSource(name, options) as unknown as Source<T, DatasetSplit>
}
