/**
 * Raft messages (https://raft.github.io/raft.pdf §5, extensions from Ongaro's thesis:
 * pre-vote §9.6, leadership transfer §3.10, learners/non-voting members §4.2.1). These are
 * the shapes on the wire; their codecs live in `codec.ts`.
 */

/** A peer id (libp2p peer id string). */
export type NodeId = string

/** The cluster configuration: who votes and who only follows the log. */
export interface RaftConfiguration {
  readonly voters: readonly NodeId[]
  readonly learners: readonly NodeId[]
}

/** One entry of the replicated log; `index` starts at 1, `term` is the leader's term when it was appended. */
export type LogEntry =
  /** Appended by every new leader so that it can commit entries of earlier terms (§5.4.2). */
  | { readonly term: number, readonly index: number, readonly type: 'noop' }
  /** A new configuration; takes effect as soon as it is appended (thesis §4.1). */
  | { readonly term: number, readonly index: number, readonly type: 'config', readonly config: RaftConfiguration }
  /** An application command (the JobManager's metadata), any cbor-encodable value. */
  | { readonly term: number, readonly index: number, readonly type: 'command', readonly command: unknown }

/** A candidate asks for a vote (§5.2), or for a pre-vote (thesis §9.6). */
export interface RequestVote {
  readonly type: 'request-vote'
  readonly term: number
  readonly candidateId: NodeId
  readonly lastLogIndex: number
  readonly lastLogTerm: number
  /** A pre-vote (thesis §9.6): `term` is the term the candidate would use; nobody changes state. */
  readonly preVote: boolean
  /** Set when the leader asked for this election (TimeoutNow): voters skip the leader-lease check. */
  readonly transfer: boolean
}

/** The answer to RequestVote; `term` lets a stale candidate step down. */
export interface RequestVoteResponse {
  readonly type: 'request-vote-response'
  readonly term: number
  readonly voteGranted: boolean
  readonly preVote: boolean
}

/** Log replication and heartbeat from the leader (§5.3); `entries` is empty for a heartbeat. */
export interface AppendEntries {
  readonly type: 'append-entries'
  readonly term: number
  readonly leaderId: NodeId
  readonly prevLogIndex: number
  readonly prevLogTerm: number
  readonly entries: readonly LogEntry[]
  readonly leaderCommit: number
}

/** The answer to AppendEntries. */
export interface AppendEntriesResponse {
  readonly type: 'append-entries-response'
  readonly term: number
  readonly success: boolean
  /** On success: the index of the last entry known to match the leader's log. */
  readonly matchIndex: number
  /** On failure: where the leader should try next (fast log backtracking). */
  readonly conflictIndex: number
}

/** Leadership transfer: the leader tells an up-to-date follower to start an election now. */
export interface TimeoutNow {
  readonly type: 'timeout-now'
  readonly term: number
  readonly leaderId: NodeId
}

/**
 * What a snapshot of the state machine stands for (§7): every entry up to `index` applied,
 * the last of them of `term`, and the configuration in effect at `index`.
 */
export interface SnapshotMeta {
  readonly index: number
  readonly term: number
  readonly config: RaftConfiguration
}

/**
 * One chunk of a snapshot from the leader to a follower whose next entry the leader has
 * compacted away (§7, InstallSnapshot). `data` holds bytes `[offset, offset + data.length)`
 * of a snapshot of `size` bytes; the last chunk ends at `size`.
 */
export interface InstallSnapshot {
  readonly type: 'install-snapshot'
  readonly term: number
  readonly leaderId: NodeId
  /** The snapshot's last included index and term, and its configuration. */
  readonly meta: SnapshotMeta
  readonly size: number
  readonly offset: number
  readonly data: Uint8Array
}

/**
 * The answer to each InstallSnapshot chunk: how many bytes of snapshot `index` the follower
 * holds in order (the leader resumes from there), or `done` once its state covers `index`.
 */
export interface InstallSnapshotResponse {
  readonly type: 'install-snapshot-response'
  readonly term: number
  readonly index: number
  readonly received: number
  readonly done: boolean
}

/** A message on `/meshflow/raft/1`. */
export type RaftMessage = RequestVote | RequestVoteResponse | AppendEntries | AppendEntriesResponse | TimeoutNow | InstallSnapshot | InstallSnapshotResponse

/** A Raft message between two peers. */
export interface RaftEnvelope {
  readonly from: NodeId
  readonly to: NodeId
  readonly message: RaftMessage
}
