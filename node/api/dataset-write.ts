/**
 * What `writeDataset(name, options)` adds to a job: a writer chained to the records'
 * operator (each subtask stores its rows as segments, partitioned as the dataset is) and
 * one committer that makes all of them one new version at the end of the input
 * (node/runtime/datasets). A job that fails commits nothing: readers keep seeing the
 * version before it.
 *
 * @example
 * sales.writeDataset('sales', { mode: 'append', partitionBy: 'store', partitions: 4 })
 */
import type { DatasetSchema, Partitioning } from './dataset-schema.ts'
import type { StreamEnvironment } from './stream-environment.ts'
import type { Transformation } from '../graph/transformation.ts'
import { InvalidArgumentError, JobDefinitionError } from './errors.ts'
import { DatasetWriterOperator } from '../runtime/datasets/dataset-writer-operator.ts'
import { datasetAppendCommitSink, datasetCommitSink } from '../runtime/datasets/dataset-commit-sink.ts'
import { SinkOperator } from '../runtime/operators/sink-operator.ts'
import { MAX_PARTITIONS } from '../storage/datasets/partitioner.ts'
import { validateSchema } from '../storage/datasets/dataset-schema.ts'
import { datasetNameProblem } from '../../protocol/dataset-fields.ts'

export interface WriteDatasetOptions {
  /** `append` (default) adds the rows as a new version; `overwrite` replaces what the dataset held. */
  readonly mode?: 'append' | 'overwrite'
  /** Hash-partitions the rows on this column (default: as the dataset is, else round-robin). */
  readonly partitionBy?: string
  /** Number of partitions (default: as the dataset is, else the writer's parallelism). */
  readonly partitions?: number
  /** The columns (default: the dataset's, else inferred from the rows). */
  readonly schema?: DatasetSchema
}

/** Throws when `name` cannot name a dataset (the rule is the protocol's, DATASET_NAME_RULE). */
export function checkDatasetName (what: string, name: unknown): string {
  const problem = datasetNameProblem(name)
  if (problem !== undefined) throw new InvalidArgumentError(`${what}: ${JSON.stringify(name)} is not a dataset name: ${problem}`)
  return name as string
}

/** Adds the writer and committer of dataset `name` after `input`; returns the committer. */
export function addDatasetWrite (env: StreamEnvironment, input: Transformation, name: string, options: WriteDatasetOptions & { readonly writerParallelism?: number } = {}): Transformation {
  checkDatasetName('writeDataset', name)
  const mode = options.mode ?? 'append'
  if (mode !== 'append' && mode !== 'overwrite') throw new InvalidArgumentError(`writeDataset('${name}'): mode must be 'append' or 'overwrite', got ${JSON.stringify(options.mode)}`)
  const target = datasetTarget(env, `writeDataset('${name}')`, name, options)
  // with checkpoints an append is datasetSink's: segments handed over at every barrier and
  // committed when the checkpoint completes, so a restore neither loses nor doubles rows
  const append = mode === 'append'
  const writer = env.addTransformation({ kind: 'operator', name: `write ${name}`, inputs: [input], factory: () => new DatasetWriterOperator({ ...target, commitOnCheckpoint: append }) })
  if (options.writerParallelism !== undefined) writer.parallelism = options.writerParallelism
  // an overwrite is one version made at the end: checkpoints in between cannot commit part of it
  if (!append) {
    env.addBuildCheck(() => {
      if (env.checkpointing !== undefined) throw new JobDefinitionError(`writeDataset('${name}', { mode: 'overwrite' }) cannot run in a job with checkpoints: its rows become one version at the end of the input (append, or datasetSink, commits at every checkpoint)`)
    })
  }
  const sink = append ? datasetAppendCommitSink(target) : datasetCommitSink({ ...target, mode })
  const committer = env.addTransformation({ kind: 'operator', name: `commit ${name}`, inputs: [writer], factory: () => new SinkOperator(sink), isSink: true })
  committer.parallelism = 1
  return committer
}

/**
 * Checks the partitioning and schema options of a write to dataset `name` (`what` names the
 * call in errors) and returns what its writer and committer are given.
 */
export function datasetTarget (env: StreamEnvironment, what: string, name: string, options: Omit<WriteDatasetOptions, 'mode'>): { dataset: string, partitioning?: Partitioning, schema?: DatasetSchema } {
  if (options.partitions !== undefined && (!Number.isInteger(options.partitions) || options.partitions < 1 || options.partitions > MAX_PARTITIONS)) {
    throw new InvalidArgumentError(`${what}: partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${String(options.partitions)}`)
  }
  if (options.partitionBy !== undefined && (typeof options.partitionBy !== 'string' || options.partitionBy === '')) {
    throw new InvalidArgumentError(`${what}: partitionBy must name a column`)
  }
  if (options.schema !== undefined) {
    validateSchema(options.schema)
    if (options.partitionBy !== undefined && !options.schema.columns.some(c => c.name === options.partitionBy)) {
      throw new InvalidArgumentError(`${what}: partitionBy names '${options.partitionBy}', which is not a column of the schema (${options.schema.columns.map(c => c.name).join(', ')})`)
    }
  }
  let partitioning: Partitioning | undefined
  if (options.partitionBy !== undefined) partitioning = { kind: 'hash', column: options.partitionBy, partitions: options.partitions ?? Math.min(env.parallelism, MAX_PARTITIONS) }
  else if (options.partitions !== undefined) partitioning = { kind: 'round-robin', partitions: options.partitions }
  return {
    dataset: name,
    ...(partitioning === undefined ? {} : { partitioning }),
    ...(options.schema === undefined ? {} : { schema: options.schema })
  }
}
