/**
 * Types shared by the Raft core, its storage and its driver. The wire shapes (messages, log
 * entries, configurations) live in `protocol/raft.ts`.
 */
import type { LogEntry, NodeId, RaftConfiguration, RaftEnvelope, SnapshotMeta } from '../../../protocol/raft.ts'

/**
 * The roles of a Raft node. `pre-candidate` is a follower asking whether it could win an
 * election before it bumps its term (thesis §9.6).
 */
export const RaftRoles = {
  follower: 'follower',
  preCandidate: 'pre-candidate',
  candidate: 'candidate',
  leader: 'leader'
} as const

export type RaftRole = typeof RaftRoles[keyof typeof RaftRoles]

/** What Raft must persist before answering (Figure 2: currentTerm and votedFor). */
export interface HardState {
  readonly term: number
  readonly votedFor: NodeId | undefined
}

/** Volatile state worth telling the application about. */
export interface SoftState {
  readonly role: RaftRole
  readonly leaderId: NodeId | undefined
  readonly term: number
}

/** A snapshot of the state machine (Raft §7): what it stands for and the application's bytes. */
export interface Snapshot {
  readonly meta: SnapshotMeta
  readonly data: Uint8Array
}

/**
 * The application's side of snapshots: `snapshot()` returns its state after applying
 * every entry emitted so far; `restore` replaces its state with a snapshot's, taken after
 * applying every entry up to `index`. Both are synchronous, between two applied entries.
 */
export interface RaftStateMachine {
  snapshot (): Uint8Array
  restore (data: Uint8Array, index: number): void
}

/** What a node loads from its storage when it restarts. */
export interface PersistentState {
  readonly hardState: HardState | undefined
  /**
   * The stored log in index order: from index 1 without a snapshot; with one, contiguous
   * from at most `snapshot.meta.index + 1` (entries at or before it are kept only as a
   * margin for followers that lag a little).
   */
  readonly entries: readonly LogEntry[]
  /** The latest snapshot, if one was taken or installed. */
  readonly snapshot?: Snapshot | undefined
}

/** A snapshot for storage to write, and what stays of the stored log once it is written. */
export interface SnapshotWrite {
  readonly snapshot: Snapshot
  /** Entries below this index are dropped; `undefined`: every stored entry is dropped. */
  readonly retainFrom: number | undefined
}

/**
 * A batch of work for the driver, taken with `RaftCore.ready()`. The driver must, in order:
 * persist `snapshot` (with its compaction), then `hardState` and the log change
 * (`truncateFrom`, then `entries`), then send `messages`, then restore the state machine
 * from `restore`, then apply `committed`, then call `RaftCore.advance(ready)`. Messages may
 * depend on the state of the same Ready (a vote on `votedFor`, an append response on the
 * appended entries), which is why they only go out after persisting.
 */
export interface Ready {
  /**
   * A snapshot to persist first of all (before `hardState` and the log change), taken
   * locally or received from the leader, with the compaction of the stored log behind it.
   */
  readonly snapshot?: SnapshotWrite | undefined
  /** A snapshot received from the leader: restore the state machine from it before applying `committed`. */
  readonly restore?: Snapshot | undefined
  /** Set when term or vote changed since the previous Ready. */
  readonly hardState?: HardState | undefined
  /** Entries to append to storage, after dropping stored entries from `truncateFrom` on. */
  readonly entries: readonly LogEntry[]
  /** Set when stored entries at and after this index are no longer in the log. */
  readonly truncateFrom?: number | undefined
  readonly messages: readonly RaftEnvelope[]
  /** Newly committed entries, in index order, to apply to the state machine. */
  readonly committed: readonly LogEntry[]
  /** Set when role, leader or term changed since the previous Ready. */
  readonly softState?: SoftState | undefined
}

/**
 * A single-server membership change (thesis §4.1). A new server joins as a learner, is
 * promoted to voter once it has caught up, and any member can be removed.
 */
export type ConfigChange =
  | { readonly type: 'add-learner', readonly id: NodeId }
  | { readonly type: 'promote', readonly id: NodeId }
  | { readonly type: 'remove', readonly id: NodeId }

/** Where an accepted proposal sits in the log; it is committed when that entry is. */
export interface ProposalPosition {
  readonly index: number
  readonly term: number
}

/** The fencing token a JobManager stamps on its commands (DESIGN §5). */
export interface FencingToken {
  readonly term: number
  readonly leaderId: NodeId
}

/** The leader's view of one follower's replication (for diagnostics and tests). */
export interface FollowerProgress {
  readonly match: number
  readonly next: number
  readonly state: 'probe' | 'replicate' | 'snapshot'
  readonly recentActive: boolean
}

export type { LogEntry, NodeId, RaftConfiguration, RaftEnvelope, SnapshotMeta }
