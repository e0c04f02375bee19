/**
 * The contract between the engine and a sink connector. Each parallel subtask of a sink
 * gets one writer; the engine hands it records in batches and awaits the promise a write
 * returns, so a slow sink backpressures its inputs all the way to the sources.
 *
 * Delivery guarantees, when the job takes checkpoints (DESIGN §6):
 * - A writer with `prepareCommit` and `commit` (two-phase commit, Flink's
 *   `TwoPhaseCommittingSink`) is exactly-once: on a checkpoint barrier the engine waits for
 *   the writes before it, calls `prepareCommit(checkpointId)` and stores the committables
 *   it returns in the checkpoint; when the checkpoint completes it calls `commit` with
 *   them. After a failure the job restores the last completed checkpoint and commits its
 *   committables again (some may be visible already, so `commit` must be idempotent);
 *   output written after that checkpoint is never committed, and replayed instead.
 *   At the end of bounded input the engine pre-commits under `FINAL_CHECKPOINT_ID` instead
 *   of calling `finish`, and commits when the job's final checkpoint completes.
 * - A writer without them is at-least-once: a checkpoint waits for its writes, but records
 *   written after the last completed checkpoint are written again after a restore.
 * Without checkpointing, `finish` makes the output visible at the end of bounded input and
 * `prepareCommit`/`commit` are never called.
 *
 * @example
 * const sink: Sink<string> = { createWriter: () => ({ write: lines => { ... }, finish () {}, close () {} }) }
 */
export { FINAL_CHECKPOINT_ID } from '../runtime/checkpoint.ts'
import type { DatasetAccess } from './dataset-access.ts'
import type { DataStream, DataStreamSink } from './data-stream.ts'

export interface SinkWriterContext {
  readonly jobName: string
  /** Unique per execution of a job (a restart after a failure keeps it). */
  readonly jobId: string
  readonly subtaskIndex: number
  readonly parallelism: number
  /** The sink operator's id in the job graph: the same on every peer and attempt. */
  readonly operatorId?: string
  readonly signal: AbortSignal
  /** The mesh's datasets, when the job runs on a peer (see dataset-access.ts). */
  readonly datasets?: DatasetAccess
}

export interface SinkWriter<T> {
  /** Writes a batch; a returned promise holds back further input until it settles. */
  write(values: T[]): void | Promise<void>
  /**
   * The input has ended: make everything written durable and visible. Not called for a
   * two-phase-commit writer when the job takes checkpoints (see `prepareCommit`).
   */
  finish(): void | Promise<void>
  /**
   * Releases resources; called after `finish`, or on failure/cancel without it. A
   * two-phase-commit writer discards what it has not pre-committed, and keeps what it has:
   * a completed checkpoint may still commit that after a restore.
   */
  close(): void | Promise<void>
  /**
   * Two-phase commit, first phase: makes everything written so far durable but still
   * invisible to readers, and returns committables that describe it. The engine calls it
   * on the barrier of `checkpointId` (after every write before the barrier has settled),
   * and at the end of bounded input with `FINAL_CHECKPOINT_ID`. The writer no longer owns
   * what it handed over: `close` must leave it for a later `commit`.
   *
   * Committables are stored in the checkpoint, so they must be plain data (objects,
   * arrays, strings, numbers, booleans, null, Uint8Array: cbor-encodable) and must not
   * change afterwards. Return `[]` when nothing was written.
   */
  prepareCommit?(checkpointId: number): unknown[] | Promise<unknown[]>
  /**
   * Two-phase commit, second phase: makes the committables visible. Called once the
   * checkpoint holding them completed, in checkpoint order, never concurrently with a
   * write — possibly on another writer instance than the one that prepared them (after a
   * restore), and possibly at another parallelism (committables are redistributed).
   *
   * It MUST be idempotent: after a failure the committables of the restored checkpoint are
   * committed again, and some (or all) of them may be visible already; those are a no-op.
   * The committables come back from storage, so validate them. Throw when one cannot be
   * committed (its data is gone): the job fails instead of losing output silently.
   */
  commit?(committables: readonly unknown[]): void | Promise<void>
}

/** A sink writer that supports two-phase commit (both methods present). */
export type TwoPhaseCommittingSinkWriter<T> = SinkWriter<T> & {
  prepareCommit(checkpointId: number): unknown[] | Promise<unknown[]>
  commit(committables: readonly unknown[]): void | Promise<void>
}

/** True when `writer` implements both phases of two-phase commit. */
export function isTwoPhaseCommitting<T> (writer: SinkWriter<T>): writer is TwoPhaseCommittingSinkWriter<T> {
  return typeof writer.prepareCommit === 'function' && typeof writer.commit === 'function'
}

export interface Sink<T> {
  createWriter(context: SinkWriterContext): SinkWriter<T> | Promise<SinkWriter<T>>
}

/**
 * A sink that is more than one operator (Flink's Sink V2 with a pre-commit topology):
 * `stream.sinkTo(sink)` calls `addTo`, which adds the sink's operators after `input` — for
 * `datasetSink` a parallel segment writer and one committer — and returns the end of the
 * pipeline, whose `uid`, `name` and `setParallelism` the sink applies to its operators.
 */
export interface SinkTopology<T> {
  addTo(input: DataStream<T>, name: string): DataStreamSink<T>
}

/** True when `sink` adds its own operators (see SinkTopology). */
export function isSinkTopology<T> (sink: Sink<T> | SinkTopology<T>): sink is SinkTopology<T> {
  return typeof (sink as Partial<SinkTopology<T>>).addTo === 'function'
}
