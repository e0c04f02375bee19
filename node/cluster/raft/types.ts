/**
 * Types shared by the Raft core, its storage and its driver. The wire shapes (messages, log
 * entries, configurations) live in `protocol/raft.ts`.
 */
import type { LogEntry, NodeId, RaftConfiguration, RaftEnvelope } from '../../../protocol/raft.ts'

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

/** What a node loads from its storage when it restarts. */
export interface PersistentState {
  readonly hardState: HardState | undefined
  /** The whole log, in index order from index 1 (no snapshots yet). */
  readonly entries: readonly LogEntry[]
}

/**
 * A batch of work for the driver, taken with `RaftCore.ready()`. The driver must, in order:
 * persist `hardState` and the log change (`truncateFrom`, then `entries`), then send
 * `messages`, then apply `committed`, then call `RaftCore.advance(ready)`. Messages may
 * depend on the state of the same Ready (a vote on `votedFor`, an append response on the
 * appended entries), which is why they only go out after persisting.
 */
export interface Ready {
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
  readonly state: 'probe' | 'replicate'
  readonly recentActive: boolean
}

export type { LogEntry, NodeId, RaftConfiguration, RaftEnvelope }
