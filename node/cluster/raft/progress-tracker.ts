/**
 * The bookkeeping that depends on the configuration in effect (etcd/raft's `tracker`):
 * who votes and who only learns, the votes of the current campaign, and on a leader the
 * replication progress of every other member. Majorities are always of voters only.
 */
import type { NodeId, RaftConfiguration } from '../../../protocol/raft.ts'
import type { SnapshotSender } from './snapshot-transfer.ts'

/** The leader's replication state of one follower or learner. */
export interface Progress {
  /** Highest index known to be replicated on the follower. */
  match: number
  /** Next index to send. In `replicate` it runs ahead of `match` optimistically. */
  next: number
  /**
   * `probe`: one AppendEntries per round trip until the logs match; `replicate`: pipeline;
   * `snapshot`: the follower needs entries compacted away and gets `snapshot` instead.
   */
  state: 'probe' | 'replicate' | 'snapshot'
  /** The InstallSnapshot transfer in progress, in state `snapshot`. */
  snapshot: SnapshotSender | undefined
  /** A probe is in flight: wait for its answer or the next heartbeat before sending again. */
  paused: boolean
  /** Heard from since the last check-quorum round. */
  recentActive: boolean
}

/** Where a campaign stands: a majority granted, a majority refused, or neither yet. */
export type VoteResult = 'won' | 'lost' | 'pending'

/** Configuration-dependent state of one RaftCore; see the file comment. */
export class ProgressTracker {
  /** This node, left out of `progress` (its own match is its stable index). */
  readonly self: NodeId
  #voters = new Set<NodeId>()
  #learners = new Set<NodeId>()
  readonly #votes = new Map<NodeId, boolean>()
  readonly #progress = new Map<NodeId, Progress>()

  constructor (self: NodeId) {
    this.self = self
  }

  get voters (): ReadonlySet<NodeId> { return this.#voters }

  isVoter (id: NodeId): boolean { return this.#voters.has(id) }

  /** Votes needed to win, entries needed to commit: a majority of the voters. */
  get quorum (): number { return Math.floor(this.#voters.size / 2) + 1 }

  /**
   * Switches to a new configuration. When `next` is given (on a leader) new members get a
   * progress starting there and removed members lose theirs.
   */
  setConfiguration (config: RaftConfiguration, next: number | undefined): void {
    this.#voters = new Set(config.voters)
    this.#learners = new Set(config.learners)
    if (next === undefined) return
    for (const id of this.#members()) {
      if (!this.#progress.has(id)) this.#progress.set(id, newProgress(next))
    }
    for (const id of [...this.#progress.keys()]) {
      if (!this.#voters.has(id) && !this.#learners.has(id)) this.#progress.delete(id)
    }
  }

  /** Forgets votes and progress (on every role change). */
  reset (): void {
    this.#votes.clear()
    this.#progress.clear()
  }

  /** A new leader's view: every other member probed from `next`. */
  startLeading (next: number): void {
    this.#progress.clear()
    for (const id of this.#members()) this.#progress.set(id, newProgress(next))
  }

  progress (id: NodeId): Progress | undefined { return this.#progress.get(id) }

  /** Members other than this node, on a leader. */
  followers (): NodeId[] { return [...this.#progress.keys()] }

  /** Records a vote (the first one per voter counts) and tallies the campaign. */
  recordVote (from: NodeId, granted: boolean): VoteResult {
    if (this.#voters.has(from) && !this.#votes.has(from)) this.#votes.set(from, granted)
    let yes = 0
    let no = 0
    for (const v of this.#voters) {
      const g = this.#votes.get(v)
      if (g === true) yes++
      else if (g === false) no++
    }
    if (yes >= this.quorum) return 'won'
    if (no > this.#voters.size - this.quorum) return 'lost'
    return 'pending'
  }

  /** The highest index stored on a majority of voters, given this node's own stable index. */
  committedIndex (selfMatch: number): number {
    if (this.#voters.size === 0) return 0
    const matches: number[] = []
    for (const v of this.#voters) matches.push(v === this.self ? selfMatch : this.#progress.get(v)?.match ?? 0)
    matches.sort((a, b) => b - a)
    return matches[this.quorum - 1] ?? 0
  }

  /** Whether a majority of voters (this node included) were heard from this round. */
  quorumActive (): boolean {
    let active = 0
    for (const v of this.#voters) {
      if (v === this.self || this.#progress.get(v)?.recentActive === true) active++
    }
    return active >= this.quorum
  }

  /** Starts a new check-quorum round. */
  resetRecentActive (): void {
    for (const pr of this.#progress.values()) pr.recentActive = false
  }

  /** The other voter with the highest match (first in configuration order on ties). */
  mostUpToDateVoter (): NodeId | undefined {
    let best: NodeId | undefined
    let bestMatch = -1
    for (const v of this.#voters) {
      const m = this.#progress.get(v)?.match ?? -1
      if (v !== this.self && m > bestMatch) {
        best = v
        bestMatch = m
      }
    }
    return best
  }

  * #members (): Generator<NodeId> {
    for (const id of this.#voters) if (id !== this.self) yield id
    for (const id of this.#learners) if (id !== this.self) yield id
  }
}

function newProgress (next: number): Progress {
  return { match: 0, next, state: 'probe', snapshot: undefined, paused: false, recentActive: true }
}
