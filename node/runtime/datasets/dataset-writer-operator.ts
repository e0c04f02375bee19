/**
 * The first half of writing a dataset (`writeDataset`): each parallel subtask sorts its
 * rows into the dataset's partitions, encodes full partitions into segments and stores
 * them as blocks as it goes; at the end of its input it stores the rest and sends the
 * references of everything it wrote to the committer (dataset-commit-sink.ts), which makes
 * them one new version. Nothing a writer stores is visible before that commit, and blocks
 * of a job that fails are never referenced (garbage collection removes them).
 *
 * The schema is the one given, else inferred from the subtask's first rows; every row is
 * checked against it, and a row that does not fit fails the job naming the column.
 *
 * For `datasetSink` (`commitOnCheckpoint`) under checkpointing the writer also hands its
 * output over at every barrier, before the barrier goes on (`prepareSnapshotPreBarrier`):
 * it cuts what it buffered into segments, waits until every segment it started is stored,
 * and emits their references. So the references of everything written before barrier n
 * reach the committer before barrier n does, the committer's snapshot n holds them (its
 * pre-commit), and the writer itself has no state: after a restore the sources replay
 * exactly the rows that no completed checkpoint's references cover.
 */
import type { DatasetSchema, Partitioning } from '../../api/dataset-schema.ts'
import type { SegmentRef } from '../../storage/datasets/dataset-types.ts'
import { MAX_PARTITIONS, partitioner } from '../../storage/datasets/partitioner.ts'
import type { DatasetAccess } from '../../api/dataset-access.ts'
import type { EncodedSegment } from '../../storage/datasets/segment-codec.ts'
import { SegmentBuilder } from '../../storage/datasets/segment-builder.ts'
import { inferSchema } from '../../storage/datasets/dataset-schema.ts'
import { describeValue } from '../../storage/datasets/errors.ts'
import { StreamOperator } from '../stream-operator.ts'
import { NO_TIMESTAMP } from '../stream-element.ts'
import { DatasetUnavailableError } from '../errors.ts'

/** What a writer subtask sends its committer: one stored segment of one partition. */
export interface WrittenSegment {
  readonly partition: number
  readonly segment: SegmentRef
  /** The schema the segment was encoded with (the committer checks that all agree). */
  readonly schema: DatasetSchema
  readonly partitioning: Partitioning
}

export interface DatasetWriterInit {
  readonly dataset: string
  /**
   * How rows are partitioned; default: as the existing dataset is (an append must keep its
   * partitioning), else round-robin over as many partitions as the writer has subtasks.
   */
  readonly partitioning?: Partitioning
  /** Default: the existing dataset's schema, else inferred from the first rows. */
  readonly schema?: DatasetSchema
  /** Most bytes per segment (default: just under a block, see SegmentBuilder). */
  readonly segmentBytes?: number
  /**
   * Hand stored segments to the committer at every checkpoint barrier (the streaming
   * `datasetSink`), not only at the end of the input. Only when the job takes checkpoints.
   */
  readonly commitOnCheckpoint?: boolean
}

/** Rows a writer without a schema gathers before it infers one from them. */
const INFER_FROM_ROWS = 1_000

/** Segments a writer subtask stores at once before it holds back its input. */
const MAX_UPLOADS_IN_FLIGHT = 4

export class DatasetWriterOperator extends StreamOperator {
  readonly #init: DatasetWriterInit
  #partitionOf!: (row: Readonly<Record<string, unknown>>) => number
  #partitioning!: Partitioning
  #schema: DatasetSchema | undefined
  /** One per partition, once the schema is known. */
  #builders: SegmentBuilder[] | undefined
  /** Rows held until the schema is inferred from them. */
  #pending: Record<string, unknown>[] = []
  #rowsSinceHandOver = 0
  /** Segments being stored whose references have not been emitted yet. */
  #uploads: Promise<WrittenSegment>[] = []
  /** Uploads started and not yet awaited by flushBatch (bounded: see MAX_UPLOADS_IN_FLIGHT). */
  #inFlight: Promise<unknown>[] = []

  constructor (init: DatasetWriterInit) {
    super()
    this.#init = init
    this.#schema = init.schema
  }

  override async open (): Promise<void> {
    const datasets = this.context.datasets
    if (datasets === undefined) throw this.fail(new DatasetUnavailableError(this.#init.dataset))
    const target = await resolveTarget(datasets, this.#init, this.context.parallelism, this.context.signal)
    this.#partitioning = target.partitioning
    this.#schema = target.schema
    // round-robin starts at the subtask's own partition, so small writers spread out
    this.#partitionOf = partitioner(target.partitioning, this.context.subtaskIndex)
    if (this.#schema !== undefined) this.#startBuilders(this.#schema)
  }

  #startBuilders (schema: DatasetSchema): SegmentBuilder[] {
    const init = this.#init.segmentBytes === undefined ? {} : { targetBytes: this.#init.segmentBytes }
    this.#builders = Array.from({ length: this.#partitioning.partitions }, () => new SegmentBuilder(schema, init))
    return this.#builders
  }

  override processElement (value: unknown): void {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw this.fail(new TypeError(`writeDataset('${this.#init.dataset}') takes records (objects with a field per column), got ${describeValue(value)}`))
    }
    const row = value as Record<string, unknown>
    this.#rowsSinceHandOver++
    if (this.#builders === undefined) {
      this.#pending.push(row)
      if (this.#pending.length >= INFER_FROM_ROWS) this.#inferAndAppendPending()
      return
    }
    this.#append(row)
  }

  #append (row: Record<string, unknown>): void {
    const p = this.#partitionOf(row)
    let cut: EncodedSegment[]
    try {
      cut = this.#builders![p]!.append(row)
    } catch (err) {
      throw this.fail(err)
    }
    for (const segment of cut) this.#store(p, segment)
  }

  #inferAndAppendPending (): void {
    const rows = this.#pending
    this.#pending = []
    if (rows.length === 0) return
    try {
      this.#schema = inferSchema(rows)
    } catch (err) {
      throw this.fail(err)
    }
    this.#startBuilders(this.#schema)
    for (const row of rows) this.#append(row)
  }

  override processWatermark (watermark: number): void {
    this.currentWatermark = watermark // a dataset has no event time: nothing goes downstream but segments
  }

  /** Holds back further input while too many segments are being stored (bounded memory). */
  override flushBatch (): void | Promise<void> {
    if (this.#inFlight.length < MAX_UPLOADS_IN_FLIGHT) return
    const waiting = this.#inFlight
    this.#inFlight = []
    return Promise.all(waiting).then(() => {})
  }

  override async finish (): Promise<void> {
    await this.#handOver()
  }

  /**
   * The barrier of a checkpoint (see the module comment): everything buffered becomes
   * stored segments whose references go out ahead of the barrier. A batch write (and any
   * write without checkpointing) hands over at the end of the input only.
   */
  override prepareSnapshotPreBarrier (_checkpointId: number): void | Promise<void> {
    if (this.#init.commitOnCheckpoint !== true || !this.context.checkpointing) return
    if (this.#rowsSinceHandOver === 0 && this.#uploads.length === 0) return
    return this.#handOver()
  }

  /** Cuts every partition's buffered rows into segments, waits until all are stored and emits their references. */
  async #handOver (): Promise<void> {
    if (this.#builders === undefined) this.#inferAndAppendPending()
    const builders = this.#builders ?? []
    for (let p = 0; p < builders.length; p++) {
      let last
      try {
        last = builders[p]!.flush()
      } catch (err) {
        throw this.fail(err)
      }
      for (const segment of last) this.#store(p, segment)
    }
    const uploads = this.#uploads
    this.#uploads = []
    this.#inFlight = []
    this.#rowsSinceHandOver = 0
    const written = await Promise.all(uploads)
    for (const w of written) this.output.collect(w, NO_TIMESTAMP)
  }

  /** Starts storing a segment of partition p (awaited in flushBatch and finish). */
  #store (p: number, encoded: EncodedSegment): void {
    const schema = this.#schema!
    const datasets = this.context.datasets!
    const upload = datasets.writeSegment(encoded.bytes, { signal: this.context.signal }).then(cid => ({
      partition: p,
      schema,
      partitioning: this.#partitioning,
      segment: { cid, rows: encoded.rows, bytes: encoded.bytes.byteLength, stats: encoded.stats }
    }))
    upload.catch(() => {}) // awaited in flushBatch or finish; a failure there fails the task
    this.#uploads.push(upload)
    this.#inFlight.push(upload)
  }
}

/**
 * The partitioning and schema a write uses: those given, else the existing dataset's, else
 * round-robin over `parallelism` partitions and a schema inferred from the rows.
 */
export async function resolveTarget (datasets: DatasetAccess, init: Pick<DatasetWriterInit, 'dataset' | 'partitioning' | 'schema'>, parallelism: number, signal: AbortSignal): Promise<{ partitioning: Partitioning, schema: DatasetSchema | undefined }> {
  if (init.partitioning !== undefined && init.schema !== undefined) return { partitioning: init.partitioning, schema: init.schema }
  const existing = await datasets.manifest(init.dataset, { signal }).catch((err: unknown) => {
    if ((err as Error | undefined)?.name === 'DatasetNotFoundError') return undefined
    throw err
  })
  return {
    partitioning: init.partitioning ?? existing?.partitioning ?? { kind: 'round-robin', partitions: Math.min(parallelism, MAX_PARTITIONS) },
    schema: init.schema ?? existing?.schema
  }
}
