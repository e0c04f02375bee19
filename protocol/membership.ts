/**
 * Membership messages (`/meshflow/membership/1`, DESIGN §5). When two peers connect, each
 * opens a membership stream and sends a `hello` describing itself; afterwards it sends a
 * `heartbeat` every interval on the same stream. A peer silent for longer than the failure
 * timeout (default 3 s) is declared lost. A peer that stops on purpose says `goodbye`, so
 * the others need not wait for the timeout. The codec lives in `codec.ts`.
 */
import type { NodeId } from './raft.ts'

/**
 * What a peer currently is in the Raft group: the `leader` (the JobManager), a voting
 * `follower`, a `candidate` running an election, or a non-voting `learner` (peers past the
 * configured voter count follow the log without voting).
 */
export type PeerRole = 'leader' | 'follower' | 'candidate' | 'learner'

/** Every {@link PeerRole}, for validation and iteration. */
export const PEER_ROLES: readonly PeerRole[] = Object.freeze(['leader', 'follower', 'candidate', 'learner'])

/** The first message on a membership stream: who the sender is and what it offers. */
export interface Hello {
  readonly type: 'hello'
  /** The sender's libp2p peer id. */
  readonly peerId: NodeId
  /** The multiaddrs it listens on, with their `/p2p/<peerId>` suffix. */
  readonly addrs: readonly string[]
  /** Placement labels (`--label k=v`), matched against operators' `.placement(...)`. */
  readonly labels: Readonly<Record<string, string>>
  /** Task slots it offers as a TaskManager. */
  readonly slots: number
  /** Slots not running a subtask now. */
  readonly freeSlots: number
  /** The sender's meshflow version (package.json `version`). */
  readonly version: string
  /** When the sender's node started, in milliseconds since the epoch. */
  readonly startedAt: number
  /** Its role in the Raft group. */
  readonly role: PeerRole
  /** The Raft term it is in, when it has one. */
  readonly term?: number
  /** The leader it knows for `term`, when it knows one. */
  readonly leaderId?: NodeId
  /**
   * Set while the sender repairs its Raft state (`meshflow node --repair`): it lost its log
   * and vote, so the leader takes it out of the voters and adds it back as a learner.
   */
  readonly repairing?: true
  /** The Raft group it belongs to ({@link RaftGroupInfo}), once it belongs to one. */
  readonly group?: string
  /** The initial voters of its group while that group is being founded ({@link RaftGroupInfo}). */
  readonly founding?: readonly NodeId[]
}

/**
 * What hellos and heartbeats say about the sender's Raft group. `group` names the group a
 * peer belongs to (`<founder peer id>@<founding time in ms>`): two peers that name different
 * groups are in separate Raft groups of one mesh, which must never happen quietly.
 * `founding` lists the initial voters of a group formed with `--bootstrap-expect`; a fresh
 * peer named there bootstraps with exactly that configuration, so every initial voter
 * holds it before the first leader can be lost.
 */
export interface RaftGroupInfo {
  readonly group?: string
  readonly founding?: readonly NodeId[]
}

/** Sent every heartbeat interval after `hello`: the sender is alive, plus what changed. */
export interface Heartbeat {
  readonly type: 'heartbeat'
  readonly peerId: NodeId
  /** Increases by one per heartbeat on a stream, so a receiver can notice gaps. */
  readonly seq: number
  readonly freeSlots: number
  readonly role: PeerRole
  readonly term?: number
  readonly leaderId?: NodeId
  /** As in {@link Hello}. */
  readonly repairing?: true
  readonly group?: string
  readonly founding?: readonly NodeId[]
}

/** The sender is stopping on purpose; the receiver can drop it at once. */
export interface Goodbye {
  readonly type: 'goodbye'
  readonly peerId: NodeId
  /** Why, for the log (`'SIGTERM'`, `'stopped'`). */
  readonly reason: string
}

/** A message on `/meshflow/membership/1`. */
export type MembershipMessage = Hello | Heartbeat | Goodbye

/** The `type` of every membership message. */
export type MembershipMessageType = MembershipMessage['type']
