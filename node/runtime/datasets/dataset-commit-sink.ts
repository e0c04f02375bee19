/**
 * The second half of writing a dataset: one subtask gathers the segments every writer
 * subtask stored (dataset-writer-operator.ts) and, at the end of the input, commits them
 * as one new version — an append or an overwrite — through the JobManager, so readers see
 * all of the job's output at once or none of it. The commit carries the job's id, which
 * makes it idempotent: committing again after a retry changes nothing.
 */
import type { DatasetSchema, Partitioning } from '../../api/dataset-schema.ts'
import type { Sink, SinkWriter, SinkWriterContext } from '../../api/sink.ts'
import type { SegmentRef } from '../../storage/datasets/dataset-types.ts'
import { describeSchemaDifference, sameSchema } from '../../storage/datasets/dataset-schema.ts'
import { DatasetUnavailableError } from '../errors.ts'
import { resolveTarget, type WrittenSegment } from './dataset-writer-operator.ts'

export interface DatasetCommitInit {
  readonly dataset: string
  readonly mode: 'append' | 'overwrite'
  readonly partitioning?: Partitioning
  readonly schema?: DatasetSchema
}

class DatasetCommitWriter implements SinkWriter<WrittenSegment> {
  readonly #init: DatasetCommitInit
  readonly #context: SinkWriterContext
  #partitions: SegmentRef[][] = []
  #partitioning: Partitioning | undefined
  #schema: DatasetSchema | undefined

  constructor (init: DatasetCommitInit, context: SinkWriterContext) {
    this.#init = init
    this.#context = context
    this.#schema = init.schema
  }

  write (values: WrittenSegment[]): void {
    for (const w of values) {
      if (this.#schema === undefined) this.#schema = w.schema
      else {
        const differs = sameSchema(this.#schema, w.schema)
        if (differs !== undefined) throw new TypeError(`writeDataset('${this.#init.dataset}'): the rows do not share one schema (${describeSchemaDifference(differs, this.#init.dataset)}); give writeDataset a schema`)
      }
      if (this.#partitioning === undefined) {
        this.#partitioning = w.partitioning
        this.#partitions = Array.from({ length: w.partitioning.partitions }, () => [])
      }
      const list = this.#partitions[w.partition]
      if (list === undefined || w.partitioning.partitions !== this.#partitions.length) throw new TypeError(`writeDataset('${this.#init.dataset}'): writers disagree on the partitions`)
      list.push(w.segment)
    }
  }

  async finish (): Promise<void> {
    const datasets = this.#context.datasets
    if (datasets === undefined) throw new DatasetUnavailableError(this.#init.dataset)
    let schema = this.#schema
    let partitioning = this.#partitioning
    if (partitioning === undefined) {
      // no rows: an append changes nothing; an overwrite empties the dataset (or creates it empty)
      if (this.#init.mode === 'append') return
      const target = await resolveTarget(datasets, this.#init, 1, this.#context.signal)
      schema ??= target.schema
      partitioning = target.partitioning
      this.#partitions = Array.from({ length: partitioning.partitions }, () => [])
      if (schema === undefined) throw new TypeError(`writeDataset('${this.#init.dataset}') got no rows and the dataset does not exist: give it a schema`)
    }
    if (schema === undefined) throw new TypeError(`writeDataset('${this.#init.dataset}'): no schema`)
    // a segment's order within a partition: by writer, then by when it was written (deterministic per run)
    await datasets.commit({
      name: this.#init.dataset,
      mode: this.#init.mode,
      schema,
      partitioning,
      partitions: this.#partitions,
      commitId: this.#context.jobId
    }, { signal: this.#context.signal })
  }

  close (): void {}
}

/** The committer of `writeDataset` (runs at parallelism 1). */
export function datasetCommitSink (init: DatasetCommitInit): Sink<WrittenSegment> {
  return { createWriter: context => new DatasetCommitWriter(init, context) }
}
