/**
 * The checkpoint contract between the runtime and its operators (DESIGN §6; Flink's
 * asynchronous barrier snapshots, https://arxiv.org/abs/1506.08603).
 *
 * At a barrier a task asks each operator of its chain for a snapshot, synchronously and
 * without awaiting: `snapshotState(checkpointId)` returns plain data, copied or encoded so
 * that later processing cannot change it. The task then forwards the barrier and goes on;
 * the snapshot is uploaded in the background (new chunks as blocks) and acknowledged.
 *
 * An operator's snapshot has two parts:
 * - `keyed`: keyed state (state tables, window contents, timers) as a chain of chunks.
 *   A chunk is a cbor-encoded block of entries, each tagged with its key group; applying a
 *   subtask's chunks in order rebuilds its keyed state. A chunk already stored by an earlier
 *   checkpoint is passed by CID only (no `bytes`): unchanged state is never written twice,
 *   and a checkpoint after few changes writes only a small delta chunk.
 * - `list`: operator (non-keyed) state as a list of plain values that may be redistributed
 *   across subtasks on restore (source splits, sink committables).
 *
 * On restore, keyed chunks of every old subtask whose key-group range overlaps the new
 * subtask's are given to it in order; it must skip entries of key groups outside its range.
 * List elements keep their subtask when the parallelism is unchanged, and are dealt
 * round-robin otherwise.
 */

/** One chunk of an operator's keyed state: its CID, and its bytes when not stored yet. */
export interface StateChunk {
  readonly cid: string
  /** Present when this chunk is new in this checkpoint (must be uploaded). */
  readonly bytes?: Uint8Array
}

/** What one operator of one subtask holds at a checkpoint. */
export interface OperatorSnapshot {
  readonly keyed?: readonly StateChunk[]
  readonly list?: readonly unknown[]
}

/** The state one operator of one subtask restores from. */
export interface RestoredOperatorState {
  /** The checkpoint restored from. */
  readonly checkpointId: number
  /** Keyed chunks (bytes, verified) to apply in order; skip entries outside `keyGroups`. */
  readonly keyed: readonly Uint8Array[]
  /** This subtask's share of the operator's list state. */
  readonly list: readonly unknown[]
  /** Key groups this subtask owns (inclusive). */
  readonly keyGroups: { readonly start: number, readonly end: number }
}

/** What kind of snapshot a barrier takes. */
export type CheckpointKind = 'checkpoint' | 'savepoint' | 'stop' | 'stop-drain'

/** A checkpoint the coordinator asks a source task to start. */
export interface CheckpointTrigger {
  readonly checkpointId: number
  readonly kind: CheckpointKind
}

/** Snapshots of a subtask's operators by operator id. */
export type TaskSnapshot = ReadonlyMap<string, OperatorSnapshot>

/**
 * The id of the snapshot a task takes after its input ended and `finish` ran: sinks
 * pre-commit what they still hold for it, and the job's final checkpoint commits it.
 */
export const FINAL_CHECKPOINT_ID = Number.MAX_SAFE_INTEGER
