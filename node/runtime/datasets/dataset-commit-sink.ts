/**
 * The second half of writing a dataset: one subtask gathers the segments every writer
 * subtask stored (dataset-writer-operator.ts) and commits them as a new version — an
 * append or an overwrite — through the JobManager, so readers see all of it at once or
 * none of it. Every commit carries an id, which makes it idempotent: committing again
 * after a retry or a restore changes nothing.
 *
 * - `writeDataset` (`datasetCommitSink`): one version at the end of the input, with the
 *   job's id as commit id.
 * - `datasetSink` (`datasetAppendCommitSink`) is a two-phase-commit sink (node/api/sink.ts):
 *   the segments whose references arrived before barrier n are its pre-commit for
 *   checkpoint n — a committable in its checkpointed state — and become one new version
 *   when checkpoint n completes, with commit id `<job id>/cp-<n>` (`<job id>/final` for the
 *   end of the input). A restore commits the restored checkpoint's committables again; the
 *   catalog knows their ids and answers with the version they made. Without checkpointing
 *   it commits at the end of the input, as `writeDataset`.
 */
import type { DatasetSchema, Partitioning } from '../../api/dataset-schema.ts'
import type { DatasetAccess } from '../../api/dataset-access.ts'
import type { Sink, SinkWriter, SinkWriterContext } from '../../api/sink.ts'
import type { SegmentRef } from '../../storage/datasets/dataset-types.ts'
import { describeSchemaDifference, sameSchema } from '../../storage/datasets/dataset-schema.ts'
import { FINAL_CHECKPOINT_ID } from '../checkpoint.ts'
import { DatasetUnavailableError } from '../errors.ts'
import { resolveTarget, type WrittenSegment } from './dataset-writer-operator.ts'

export interface DatasetCommitInit {
  readonly dataset: string
  readonly mode: 'append' | 'overwrite'
  readonly partitioning?: Partitioning
  readonly schema?: DatasetSchema
}

/** What `datasetSink`'s committer pre-commits for one checkpoint: one future version. */
export interface DatasetCommittable {
  readonly dataset: string
  /** Ties the commit to the job and checkpoint that pre-committed it (idempotence). */
  readonly commitId: string
  readonly schema: DatasetSchema
  readonly partitioning: Partitioning
  readonly partitions: readonly (readonly SegmentRef[])[]
}

/** The segments written since the last hand-over, by partition, with their schema. */
class Gathered {
  readonly #dataset: string
  partitions: SegmentRef[][] = []
  partitioning: Partitioning | undefined
  schema: DatasetSchema | undefined
  segments = 0

  constructor (dataset: string, schema: DatasetSchema | undefined) {
    this.#dataset = dataset
    this.schema = schema
  }

  add (values: readonly WrittenSegment[]): void {
    for (const w of values) {
      if (this.schema === undefined) this.schema = w.schema
      else {
        const differs = sameSchema(this.schema, w.schema)
        if (differs !== undefined) throw new TypeError(`Dataset '${this.#dataset}': the rows do not share one schema (${describeSchemaDifference(differs, this.#dataset)}); give the write a schema`)
      }
      if (this.partitioning === undefined) {
        this.partitioning = w.partitioning
        this.partitions = Array.from({ length: w.partitioning.partitions }, () => [])
      }
      const list = this.partitions[w.partition]
      if (list === undefined || w.partitioning.partitions !== this.partitions.length) throw new TypeError(`Dataset '${this.#dataset}': writers disagree on the partitions`)
      list.push(w.segment)
      this.segments++
    }
  }

  /** Hands the gathered segments over and starts again (the schema stays). */
  take (): { partitions: SegmentRef[][], partitioning: Partitioning | undefined, schema: DatasetSchema | undefined, segments: number } {
    const taken = { partitions: this.partitions, partitioning: this.partitioning, schema: this.schema, segments: this.segments }
    this.partitions = this.partitioning === undefined ? [] : Array.from({ length: this.partitioning.partitions }, () => [])
    this.segments = 0
    return taken
  }
}

function datasetsOf (context: SinkWriterContext, dataset: string): DatasetAccess {
  if (context.datasets === undefined) throw new DatasetUnavailableError(dataset)
  return context.datasets
}

class DatasetCommitWriter implements SinkWriter<WrittenSegment> {
  protected readonly init: DatasetCommitInit
  protected readonly context: SinkWriterContext
  protected readonly gathered: Gathered

  constructor (init: DatasetCommitInit, context: SinkWriterContext) {
    this.init = init
    this.context = context
    this.gathered = new Gathered(init.dataset, init.schema)
  }

  write (values: WrittenSegment[]): void {
    this.gathered.add(values)
  }

  async finish (): Promise<void> {
    const datasets = datasetsOf(this.context, this.init.dataset)
    let { schema, partitioning, partitions } = this.gathered.take()
    if (partitioning === undefined) {
      // no rows: an append changes nothing; an overwrite empties the dataset (or creates it empty)
      if (this.init.mode === 'append') return
      const target = await resolveTarget(datasets, this.init, 1, this.context.signal)
      schema ??= target.schema
      partitioning = target.partitioning
      partitions = Array.from({ length: partitioning.partitions }, () => [])
      if (schema === undefined) throw new TypeError(`writeDataset('${this.init.dataset}') got no rows and the dataset does not exist: give it a schema`)
    }
    if (schema === undefined) throw new TypeError(`writeDataset('${this.init.dataset}'): no schema`)
    // a segment's order within a partition: by writer, then by when it was written (deterministic per run)
    await datasets.commit({
      name: this.init.dataset,
      mode: this.init.mode,
      schema,
      partitioning,
      partitions,
      commitId: this.context.jobId
    }, { signal: this.context.signal })
  }

  close (): void {}
}

/** `datasetSink`'s committer: one appended version per completed checkpoint (see the module comment). */
class DatasetAppendCommitWriter extends DatasetCommitWriter {
  prepareCommit (checkpointId: number): DatasetCommittable[] {
    const { schema, partitioning, partitions, segments } = this.gathered.take()
    if (segments === 0 || partitioning === undefined || schema === undefined) return []
    const id = checkpointId === FINAL_CHECKPOINT_ID ? 'final' : `cp-${checkpointId}`
    return [{ dataset: this.init.dataset, commitId: `${this.context.jobId}/${id}`, schema, partitioning, partitions }]
  }

  async commit (committables: readonly unknown[]): Promise<void> {
    const datasets = datasetsOf(this.context, this.init.dataset)
    for (const raw of committables) {
      const c = checkCommittable(raw, this.init.dataset)
      await datasets.commit({ name: c.dataset, mode: 'append', schema: c.schema, partitioning: c.partitioning, partitions: c.partitions, commitId: c.commitId }, { signal: this.context.signal })
    }
  }
}

/** A committable as it comes back from a checkpoint: checked before it is committed. */
function checkCommittable (raw: unknown, dataset: string): DatasetCommittable {
  const c = raw as Partial<DatasetCommittable> | null
  const valid = c !== null && typeof c === 'object' && c.dataset === dataset && typeof c.commitId === 'string' &&
    typeof c.schema === 'object' && c.schema !== null && Array.isArray(c.schema.columns) &&
    typeof c.partitioning === 'object' && c.partitioning !== null && Array.isArray(c.partitions) &&
    c.partitions.length === c.partitioning.partitions &&
    c.partitions.every(p => Array.isArray(p) && p.every(s => typeof s === 'object' && s !== null && typeof s.cid === 'string' && Number.isSafeInteger(s.rows)))
  if (!valid) throw new TypeError(`Malformed committable of dataset sink '${dataset}' in the checkpoint${typeof c?.commitId === 'string' ? ` (commit '${c.commitId}')` : ''}`)
  return c as DatasetCommittable
}

/** The committer of `writeDataset` (runs at parallelism 1). */
export function datasetCommitSink (init: DatasetCommitInit): Sink<WrittenSegment> {
  return { createWriter: context => new DatasetCommitWriter(init, context) }
}

/** The committer of `datasetSink` (runs at parallelism 1): appends, exactly once under checkpoints. */
export function datasetAppendCommitSink (init: Omit<DatasetCommitInit, 'mode'>): Sink<WrittenSegment> {
  return { createWriter: context => new DatasetAppendCommitWriter({ ...init, mode: 'append' }, context) }
}
