/**
 * The contract between the engine and a source connector (Flink's FLIP-27 shape, trimmed).
 *
 * A source cuts its input into splits (file ranges, Kafka partitions, index ranges). Their
 * number is fixed when the job first starts; each parallel subtask runs one reader that is
 * given some of the splits and reads them in batches. A split is a plain JSON-able object
 * whose fields are its position, so `snapshotSplits()` is the reader's checkpointed state.
 *
 * @example
 * const source: Source<number, RangeSplit> = {
 *   bounded: true,
 *   createSplits: n => [{ id: '0', next: 0, end: 10 }],
 *   createReader: ctx => new RangeReader()
 * }
 */
import type { OutputTag } from './output-tag.ts'
import type { DatasetAccess } from './dataset-access.ts'

/**
 * A part of a source's input with its position. Splits are plain data: they are stored in
 * checkpoints, sent to other peers, and handed from the thread that lists them to the task
 * threads that read them (a class instance arrives as a plain object, without its methods).
 */
export interface SourceSplit {
  /** Stable id of the split, unique within the source. */
  readonly id: string
}

export interface SourceReaderContext {
  readonly subtaskIndex: number
  readonly parallelism: number
  /** Aborted when the job is cancelled or fails: a reader waiting for data must stop. */
  readonly signal: AbortSignal
  /**
   * True when the job takes checkpoints, so `notifyCheckpointComplete` will come. A reader
   * that acknowledges input on checkpoint completion (RabbitMQ) acknowledges on its own
   * without them.
   */
  readonly checkpointing?: boolean
  /** Emits a record to a side output of the source (for example a dead-letter output). */
  output<X>(tag: OutputTag<X>, value: X): void
  /** The mesh's datasets, when the job runs on a peer (see dataset-access.ts). */
  readonly datasets?: DatasetAccess
  /**
   * Per-split watermarks (readers with `lastSplitId`): the reader began reading a split it
   * added itself (a discovered partition, the child of a closed shard). Like a split given
   * through `addSplits`, it holds back the subtask's watermark until it emits records or
   * turns idle. Optional: a context made by hand (in a test) may leave it out.
   */
  splitAdded?(splitId: string): void
  /**
   * Per-split watermarks: split `splitId` is finished (a bounded partition read to its end,
   * a closed shard read out); it no longer holds back the subtask's watermark. May be called
   * inside the `pollNext` that returns the split's last records: the engine applies it after
   * that batch.
   */
  splitFinished?(splitId: string): void
}

/** What a source may use to list its splits. */
export interface SplitContext {
  /** The mesh's datasets, when the job runs on a peer (a dataset's partitions are its splits). */
  readonly datasets?: DatasetAccess
  readonly signal?: AbortSignal
}

export interface SourceReader<T, S extends SourceSplit = SourceSplit> {
  /** Gives the reader splits to read (at start and on restore). */
  addSplits(splits: S[]): void
  /**
   * The next batch of at most `max` records. Returns `null` once every assigned split is
   * finished (bounded sources only), or a promise when the reader must wait for data; the
   * promise resolves to a batch, or `null` at the end. An empty batch is allowed (for
   * example when every line read went to a dead-letter output); the task simply polls again.
   *
   * While a returned promise is pending the engine may take checkpoints (`snapshotSplits`),
   * so positions must not move before the promise resolves. They may move as it resolves:
   * the engine emits a batch a promise delivered before it takes any further snapshot.
   */
  pollNext(max: number): T[] | null | Promise<T[] | null>
  /**
   * The current position of every split not yet finished, taken for checkpoint
   * `checkpointId` (a reader that acts in `notifyCheckpointComplete` keeps them by id).
   */
  snapshotSplits(checkpointId?: number): S[]
  /**
   * Optional: the checkpoint `checkpointId` completed, so the positions this reader
   * snapshotted for it are durable (Flink's `SourceReader.notifyCheckpointComplete`): a
   * reader may acknowledge or commit what it read up to them in the external system (Kafka
   * offsets for monitoring, RabbitMQ acks). Called from the task, in checkpoint order, never
   * after `close`; a notification may be skipped when a later checkpoint completes first, so
   * act on everything up to `checkpointId`. At the end of bounded input it is called with
   * `FINAL_CHECKPOINT_ID` once the job's final checkpoint completed. A rejection fails the job.
   */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>
  /**
   * Optional: per-split watermarks, as Flink's FLIP-27 sources have (one watermark
   * generator per split). The id of the split whose records make up the batch `pollNext`
   * last returned or resolved to; a reader that implements it returns records of one split
   * per batch. The engine reads it once per non-empty batch (no cost per record) and keeps
   * one generator per split: the subtask's watermark is the minimum over its splits, a split
   * without records for the strategy's `withIdleness` timeout is left out of it, the subtask
   * is idle when all of its splits are, and a split reported finished through
   * `context.splitFinished` is dropped. A split given through `addSplits` (or announced
   * through `context.splitAdded`) holds the watermark back until its first records or until
   * it turns idle, so a slow or late partition's records are not late. A reader without this
   * method gets one generator for the whole subtask (its idleness: no batch for the timeout).
   */
  lastSplitId?(): string | undefined
  close(): void | Promise<void>
}

export interface Source<T, S extends SourceSplit = SourceSplit> {
  /** A bounded source ends; an unbounded one runs until the job is cancelled. */
  readonly bounded: boolean
  /** Splits of a fresh start for a source running at `parallelism`. */
  createSplits(parallelism: number, context?: SplitContext): S[] | Promise<S[]>
  createReader(context: SourceReaderContext): SourceReader<T, S>
}
