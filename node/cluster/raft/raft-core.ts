/**
 * The Raft consensus algorithm as a synchronous, deterministic state machine (in the style
 * of etcd/raft): no timers, no I/O, no clock. A driver calls `tick()` every tick, feeds
 * incoming messages to `step()`, and repeatedly takes a `Ready` (state to persist, messages
 * to send, entries to apply) and acknowledges it with `advance()`.
 *
 * Raft paper: https://raft.github.io/raft.pdf. Thesis (Ongaro 2014):
 * https://github.com/ongardie/dissertation. Extensions implemented here: pre-vote (§9.6),
 * check-quorum and the leader lease in voting (§6.2, §4.2.3), leadership transfer (§3.10),
 * single-server membership changes with learners (§4.1, §4.2.1), log compaction behind
 * application snapshots with a chunked InstallSnapshot to followers left behind (§7 of the
 * paper, thesis §5; chunking in snapshot-transfer.ts).
 */
import { logger } from '@libp2p/logger'
import type { Logger } from '@libp2p/logger'
import type {
  AppendEntries, AppendEntriesResponse, InstallSnapshot, InstallSnapshotResponse, LogEntry, NodeId, RaftConfiguration,
  RaftEnvelope, RaftMessage, RequestVote, RequestVoteResponse, SnapshotMeta
} from '../../../protocol/raft.ts'
import {
  DEFAULT_ELECTION_TICKS, DEFAULT_HEARTBEAT_TICKS, DEFAULT_MAX_ENTRIES_PER_APPEND, DEFAULT_SNAPSHOT_CHUNK_BYTES,
  DEFAULT_SNAPSHOT_CHUNKS_IN_FLIGHT, DEFAULT_SNAPSHOT_MARGIN
} from './constants.ts'
import {
  BootstrapError, ConfigChangeInProgressError, InvalidConfigChangeError, LeadershipTransferError,
  LeadershipTransferInProgressError, NotLeaderError
} from './errors.ts'
import { applyConfigChange } from './configuration.ts'
import { ProgressTracker } from './progress-tracker.ts'
import { RaftLog } from './raft-log.ts'
import { SnapshotReceiver, SnapshotSender } from './snapshot-transfer.ts'
import type {
  ConfigChange, FencingToken, FollowerProgress, HardState, PersistentState, ProposalPosition,
  RaftRole, Ready, Snapshot, SnapshotWrite, SoftState
} from './types.ts'

export interface RaftCoreComponents {
  /**
   * Uniform in [0, 1), used only to draw election timeouts. Inject a seeded generator to
   * make a run reproducible. Defaults to `Math.random`.
   */
  readonly random?: () => number
}

export interface RaftCoreInit {
  readonly id: NodeId
  /** Minimum election timeout in ticks; timeouts are drawn in `[e, 2e)`. Default 10. */
  readonly electionTicks?: number
  /** Ticks between two heartbeats of a leader. Default 1; must be below `electionTicks`. */
  readonly heartbeatTicks?: number
  /** Ask for pre-votes before bumping the term (thesis §9.6). Default true. */
  readonly preVote?: boolean
  /**
   * A leader steps down when it has not heard from a majority within an election timeout,
   * and a node that hears from a leader ignores vote requests for that long (thesis §6.2).
   * Default true.
   */
  readonly checkQuorum?: boolean
  /** Most entries in one AppendEntries. Default 64. */
  readonly maxEntriesPerAppend?: number
  /**
   * Entries kept behind a snapshot, so that a follower lagging by fewer still catches up
   * with AppendEntries rather than a whole snapshot (etcd keeps 5,000). Default 500.
   */
  readonly snapshotMargin?: number
  /** Bytes per InstallSnapshot chunk. Default 256 KiB. */
  readonly snapshotChunkBytes?: number
  /** Chunks sent beyond what a follower acknowledged. Default 4. */
  readonly snapshotChunksInFlight?: number
  /**
   * The state loaded from storage when restarting; omit for a fresh node. With a snapshot,
   * the application restores its state from it: the core emits only later entries.
   */
  readonly restore?: PersistentState
}

type CampaignKind = 'pre-vote' | 'election' | 'transfer'

/** What the driver knows about the time that passed since the previous tick. */
export interface TickOptions {
  /**
   * This peer's own event loop was held up since the previous tick (the tick came late):
   * messages that arrived meanwhile may still wait behind this tick, so this tick does not
   * campaign or step down, and for an election timeout afterwards the node waits twice as
   * long before it does (Lifeguard's idea: a starved node trusts its own judgement less).
   */
  readonly stalled?: boolean
}

const NO_CONFIG: RaftConfiguration = { voters: [], learners: [] }

/**
 * One Raft peer's consensus state. Single-threaded and synchronous: every method returns
 * at once, and everything the outside world must do comes out of `ready()`.
 *
 * @example
 * const core = new RaftCore({ random: Math.random }, { id: 'a' })
 * core.bootstrap({ voters: ['a'], learners: [] })
 * for (let i = 0; i < 20 && core.role !== 'leader'; i++) {
 *   core.tick()
 *   while (core.hasReady()) { const r = core.ready(); // persist r, send r.messages, apply r.committed
 *     core.advance(r) }
 * }
 */
export class RaftCore {
  readonly id: NodeId
  readonly electionTicks: number
  readonly heartbeatTicks: number
  readonly preVote: boolean
  readonly checkQuorum: boolean
  readonly maxEntriesPerAppend: number
  readonly snapshotMargin: number
  readonly snapshotChunkBytes: number
  readonly snapshotChunksInFlight: number
  readonly #random: () => number
  readonly #logger: Logger
  readonly #log: RaftLog

  #term = 0
  #votedFor: NodeId | undefined
  #role: RaftRole = 'follower'
  #leaderId: NodeId | undefined
  #commitIndex = 0
  /** Last index handed out in `Ready.committed`. */
  #appliedIndex = 0
  #messages: RaftEnvelope[] = []
  #prevHard: HardState
  #prevSoft: SoftState
  /** Set between `ready()` and `advance()`: the last index that Ready persists. */
  #outstanding: { readonly lastIndex: number } | undefined

  #electionElapsed = 0
  #heartbeatElapsed = 0
  /** Ticks left in which this node doubts its timers, after a stall of its own loop. */
  #doubtTicks = 0
  #randomizedElectionTimeout = 0
  readonly #tracker: ProgressTracker
  /** Index of this leader's first entry (its no-op); config changes wait for it to commit. */
  #leaderStartIndex = 0
  #transferee: NodeId | undefined
  #transferElapsed = 0
  /** `RaftLog.configVersion` the tracker was last set from. */
  #configVersion = -1
  /** The latest snapshot, taken here or installed from a leader. */
  #snapshot: Snapshot | undefined
  /** A snapshot for the next Ready to persist, and one for the application to restore. */
  #snapshotWrite: SnapshotWrite | undefined
  #restorePending: Snapshot | undefined
  /** The snapshot arriving from the leader, chunk by chunk (in memory: a restart starts over). */
  #incoming: SnapshotReceiver | undefined

  constructor (components: RaftCoreComponents, init: RaftCoreInit) {
    this.id = init.id
    this.electionTicks = init.electionTicks ?? DEFAULT_ELECTION_TICKS
    this.heartbeatTicks = init.heartbeatTicks ?? DEFAULT_HEARTBEAT_TICKS
    this.preVote = init.preVote ?? true
    this.checkQuorum = init.checkQuorum ?? true
    this.maxEntriesPerAppend = Math.max(1, init.maxEntriesPerAppend ?? DEFAULT_MAX_ENTRIES_PER_APPEND)
    this.snapshotMargin = Math.max(0, init.snapshotMargin ?? DEFAULT_SNAPSHOT_MARGIN)
    this.snapshotChunkBytes = Math.max(1, init.snapshotChunkBytes ?? DEFAULT_SNAPSHOT_CHUNK_BYTES)
    this.snapshotChunksInFlight = Math.max(1, init.snapshotChunksInFlight ?? DEFAULT_SNAPSHOT_CHUNKS_IN_FLIGHT)
    if (!(this.electionTicks > this.heartbeatTicks && this.heartbeatTicks >= 1)) {
      throw new RangeError(`Raft electionTicks (${this.electionTicks}) must exceed heartbeatTicks (${this.heartbeatTicks}), which must be at least 1`)
    }
    this.#random = components.random ?? Math.random
    this.#logger = logger('meshflow:cluster:raft')
    const snapshot = init.restore?.snapshot
    this.#log = new RaftLog(init.restore?.entries ?? [], snapshot?.meta)
    if (snapshot !== undefined) {
      this.#snapshot = snapshot
      this.#commitIndex = this.#appliedIndex = snapshot.meta.index
    }
    this.#tracker = new ProgressTracker(this.id)
    const hard = init.restore?.hardState
    if (hard !== undefined) {
      this.#term = hard.term
      this.#votedFor = hard.votedFor
    }
    this.#prevHard = this.hardState
    this.#prevSoft = this.softState
    this.#refreshConfig()
    this.#resetRandomizedElectionTimeout()
  }

  // ---- state for the application ----

  get role (): RaftRole { return this.#role }
  get term (): number { return this.#term }
  get votedFor (): NodeId | undefined { return this.#votedFor }
  /** The leader of the current term as far as this node knows. */
  get leaderId (): NodeId | undefined { return this.#leaderId }
  get commitIndex (): number { return this.#commitIndex }
  get lastIndex (): number { return this.#log.lastIndex }
  get lastTerm (): number { return this.#log.lastTerm }
  /** Index of the last entry handed out in `Ready.committed` (or restored from a snapshot). */
  get appliedIndex (): number { return this.#appliedIndex }
  /** First index still in the log; earlier ones are compacted behind the snapshot. */
  get firstIndex (): number { return this.#log.offset + 1 }
  /** What the latest snapshot stands for, if there is one. */
  get snapshotMeta (): SnapshotMeta | undefined { return this.#snapshot?.meta }
  /** The configuration in effect: the latest one in the log, committed or not. */
  get configuration (): RaftConfiguration { return this.#log.configuration ?? NO_CONFIG }
  /** The peer a leadership transfer is handing over to, if one is in progress. */
  get transferee (): NodeId | undefined { return this.#transferee }
  get hardState (): HardState { return { term: this.#term, votedFor: this.#votedFor } }
  get softState (): SoftState { return { role: this.#role, leaderId: this.#leaderId, term: this.#term } }

  /**
   * `(term, leaderId)` for a JobManager to stamp on its commands (DESIGN §5); `undefined`
   * while no leader is known. Receivers reject tokens of an older term.
   */
  get fencingToken (): FencingToken | undefined {
    return this.#leaderId === undefined ? undefined : { term: this.#term, leaderId: this.#leaderId }
  }

  entry (index: number): LogEntry | undefined { return this.#log.entry(index) }

  /** Log entries with index in `[from, to)`; defaults to the whole (uncompacted) log. */
  entries (from = this.#log.offset + 1, to = this.#log.lastIndex + 1): LogEntry[] { return this.#log.slice(from, to) }

  /** The leader's replication state of a follower or learner; `undefined` on non-leaders. */
  progress (id: NodeId): FollowerProgress | undefined {
    const pr = this.#tracker.progress(id)
    return pr === undefined ? undefined : { match: pr.match, next: pr.next, state: pr.state, recentActive: pr.recentActive }
  }

  /**
   * Records the application's snapshot of its state after applying every entry up to
   * `index` and compacts the log behind it, keeping `snapshotMargin` entries. The next
   * Ready carries the snapshot for storage, which writes it before dropping entries.
   *
   * @returns false when a snapshot at or after `index` exists already
   * @throws {RangeError} when `index` is not applied yet
   */
  createSnapshot (index: number, data: Uint8Array): boolean {
    if (index > this.#appliedIndex) throw new RangeError(`Raft node ${this.id}: cannot snapshot at ${index}, past the applied index ${this.#appliedIndex}`)
    if (index <= (this.#snapshot?.meta.index ?? 0) || index <= this.#log.offset) return false
    const term = this.#log.term(index)
    const config = this.#log.configurationAt(index)
    if (term === undefined || config === undefined) throw new RangeError(`Raft node ${this.id}: no entry or configuration at ${index} to snapshot`)
    const snapshot: Snapshot = { meta: { index, term, config }, data }
    this.#snapshot = snapshot
    const compactTo = Math.max(this.#log.offset, index - this.snapshotMargin)
    this.#log.compact(compactTo)
    // a snapshot installed but not yet written drops the whole stored log: keep that
    const retainFrom = this.#snapshotWrite !== undefined && this.#snapshotWrite.retainFrom === undefined ? undefined : compactTo
    this.#snapshotWrite = { snapshot, retainFrom }
    this.#logger('%s took a snapshot at %d (term %d, %d bytes), log compacted to %d', this.id, index, term, data.byteLength, compactTo)
    return true
  }

  // ---- inputs ----

  /**
   * Writes the initial configuration as entry 1 of term 1, committed, on a fresh node.
   * Every initial voter must bootstrap with the same configuration (or bootstrap one voter
   * and add the others with `changeConfiguration`); peers that join later do not bootstrap.
   * A node with an empty log may already have a term (it voted before it learnt the
   * configuration, `--bootstrap-expect`): it keeps that term and vote.
   *
   * @throws {BootstrapError} when the node already has a log, or no voter is given
   */
  bootstrap (config: RaftConfiguration): void {
    if (this.#log.lastIndex > 0) throw new BootstrapError(this.id, 'it already has a log')
    if (config.voters.length === 0) throw new BootstrapError(this.id, 'the configuration has no voter')
    this.#term = Math.max(this.#term, 1)
    this.#appendLocal([{ term: 1, index: 1, type: 'config', config: { voters: [...config.voters], learners: [...config.learners] } }])
    this.#commitIndex = 1
  }

  /**
   * The operator's way out of a lost quorum (etcd's `--force-new-cluster`): appends `config`
   * in a new term and commits every entry this node holds, including ones the old group
   * had not committed. Call it on a started node before it hears from anyone.
   *
   * @returns the index of the configuration entry
   * @throws {BootstrapError} when the node has no log to restart the group from
   */
  forceConfiguration (config: RaftConfiguration): number {
    if (this.#log.lastIndex === 0) throw new BootstrapError(this.id, 'it has no log to restart the group from')
    if (config.voters.length === 0) throw new BootstrapError(this.id, 'the configuration has no voter')
    this.#becomeFollower(Math.max(this.#term, this.#log.lastTerm) + 1, undefined)
    const index = this.#log.lastIndex + 1
    this.#appendLocal([{ term: this.#term, index, type: 'config', config: { voters: [...config.voters], learners: [...config.learners] } }])
    this.#commitIndex = index
    this.#logger('%s forces configuration %o at index %d in term %d', this.id, config, index, this.#term)
    return index
  }

  /**
   * Ticks since this node's own loop last stalled during which it still doubts its timers
   * (see `TickOptions.stalled`); 0 when it trusts them.
   */
  get doubtTicks (): number { return this.#doubtTicks }

  /** Advances logical time by one tick. */
  tick (options: TickOptions = {}): void {
    const stalled = options.stalled === true
    if (stalled) this.#doubtTicks = this.electionTicks
    else if (this.#doubtTicks > 0) this.#doubtTicks--
    if (this.#role === 'leader') this.#tickLeader(stalled)
    else this.#tickElection(stalled)
  }

  /** Ticks a timeout of `ticks` takes while this node doubts its timers: twice as many. */
  #patience (ticks: number): number {
    return this.#doubtTicks > 0 ? 2 * ticks : ticks
  }

  /** Handles one incoming message. Messages not addressed to this node are ignored. */
  step (envelope: RaftEnvelope): void {
    const { from, to, message: m } = envelope
    if (to !== this.id || from === this.id) return
    if (m.term > this.#term) {
      if (m.type === 'request-vote') {
        // Leader lease (thesis §4.2.3): while we hear from a leader, a vote request cannot
        // come from a legitimate election, so it must not disturb us, unless the leader
        // itself asked for it (leadership transfer).
        if (!m.transfer && this.#inLease()) {
          this.#logger.trace('%s ignores %s from %s in term %d: in leader lease', this.id, m.preVote ? 'pre-vote' : 'vote', from, m.term)
          return
        }
        if (!m.preVote) this.#becomeFollower(m.term, undefined)
      } else if (m.type === 'request-vote-response' && m.preVote && m.voteGranted) {
        // a granted pre-vote carries the term we would campaign in: nothing to adopt
      } else {
        this.#becomeFollower(m.term, m.type === 'append-entries' || m.type === 'timeout-now' || m.type === 'install-snapshot' ? from : undefined)
      }
    } else if (m.term < this.#term) {
      this.#stepStale(from, m)
      return
    }
    switch (m.type) {
      case 'request-vote':
        this.#handleRequestVote(from, m)
        break
      case 'request-vote-response':
        this.#handleVoteResponse(from, m)
        break
      case 'append-entries':
        if (this.#role === 'leader') {
          this.#logger.error('%s is leader of term %d and got AppendEntries of the same term from %s', this.id, this.#term, from)
          return
        }
        if (this.#role !== 'follower' || this.#leaderId !== from) this.#becomeFollower(m.term, from)
        this.#electionElapsed = 0
        this.#handleAppendEntries(from, m)
        break
      case 'append-entries-response':
        if (this.#role === 'leader') this.#handleAppendResponse(from, m)
        break
      case 'install-snapshot':
        if (this.#role === 'leader') {
          this.#logger.error('%s is leader of term %d and got InstallSnapshot of the same term from %s', this.id, this.#term, from)
          return
        }
        if (this.#role !== 'follower' || this.#leaderId !== from) this.#becomeFollower(m.term, from)
        this.#electionElapsed = 0
        this.#handleInstallSnapshot(from, m)
        break
      case 'install-snapshot-response':
        if (this.#role === 'leader') this.#handleSnapshotResponse(from, m)
        break
      case 'timeout-now':
        if (this.#role === 'follower' && this.#promotable()) {
          this.#logger('%s starts an election on TimeoutNow from %s in term %d', this.id, from, this.#term)
          this.#campaign('transfer')
        }
        break
    }
  }

  /**
   * Appends an application command to the leader's log.
   *
   * @returns where the entry sits; it is applied once it comes out of `Ready.committed`
   * with this index and term. Errors are returned, not thrown.
   */
  propose (command: unknown): ProposalPosition | NotLeaderError | LeadershipTransferInProgressError {
    if (this.#role !== 'leader') return new NotLeaderError(this.id, this.#leaderId)
    if (this.#transferee !== undefined) return new LeadershipTransferInProgressError(this.#transferee)
    const index = this.#log.lastIndex + 1
    this.#appendLocal([{ term: this.#term, index, type: 'command', command }])
    this.#broadcastAppend(false)
    return { index, term: this.#term }
  }

  /**
   * Proposes a single-server membership change (thesis §4.1). The new configuration takes
   * effect on each node when appended; only one may be uncommitted at a time, and a new
   * leader first commits an entry of its own term. A leader that removes itself keeps
   * leading until the change commits, without counting itself, then steps down.
   */
  changeConfiguration (change: ConfigChange): ProposalPosition | NotLeaderError | LeadershipTransferInProgressError | ConfigChangeInProgressError | InvalidConfigChangeError {
    if (this.#role !== 'leader') return new NotLeaderError(this.id, this.#leaderId)
    if (this.#transferee !== undefined) return new LeadershipTransferInProgressError(this.#transferee)
    const pending = this.#log.lastConfigIndex
    if (pending > this.#commitIndex) return new ConfigChangeInProgressError(pending)
    if (this.#commitIndex < this.#leaderStartIndex) return new ConfigChangeInProgressError(this.#leaderStartIndex)
    const config = applyConfigChange(this.configuration, change)
    if (config instanceof InvalidConfigChangeError) return config
    const index = this.#log.lastIndex + 1
    this.#appendLocal([{ term: this.#term, index, type: 'config', config }])
    this.#logger('%s proposes configuration %o at index %d', this.id, config, index)
    this.#broadcastAppend(false)
    return { index, term: this.#term }
  }

  /**
   * Hands leadership to `to` (default: the most up-to-date other voter), thesis §3.10: the
   * leader stops accepting proposals, brings the target up to date and sends it TimeoutNow.
   * The transfer is abandoned after an election timeout.
   *
   * @returns the transferee (this node's id when it is the target already)
   */
  transferLeadership (to?: NodeId): NodeId | NotLeaderError | LeadershipTransferError {
    if (this.#role !== 'leader') return new NotLeaderError(this.id, this.#leaderId)
    const target = to ?? this.#tracker.mostUpToDateVoter()
    if (target === undefined) return new LeadershipTransferError(undefined, 'there is no other voter')
    if (target === this.id) return target
    if (!this.#tracker.isVoter(target)) return new LeadershipTransferError(target, 'it is not a voter')
    if (this.#transferee === target) return target
    this.#transferee = target
    this.#transferElapsed = 0
    this.#logger('%s transfers leadership of term %d to %s', this.id, this.#term, target)
    const pr = this.#tracker.progress(target)
    if (pr !== undefined && pr.match === this.#log.lastIndex) this.#send(target, { type: 'timeout-now', term: this.#term, leaderId: this.id })
    else this.#sendAppend(target, false)
    return target
  }

  // ---- outputs ----

  /** True when `ready()` has something and no earlier Ready awaits `advance()`. */
  hasReady (): boolean {
    if (this.#outstanding !== undefined) return false
    return this.#messages.length > 0 ||
      this.#snapshotWrite !== undefined || this.#restorePending !== undefined ||
      this.#log.hasUnpersisted ||
      this.#commitIndex > this.#appliedIndex ||
      this.#term !== this.#prevHard.term || this.#votedFor !== this.#prevHard.votedFor ||
      this.#role !== this.#prevSoft.role || this.#leaderId !== this.#prevSoft.leaderId || this.#term !== this.#prevSoft.term
  }

  /**
   * Takes the pending work. Process it as `Ready` describes, then call `advance(ready)`;
   * until then `hasReady()` is false and `ready()` throws.
   */
  ready (): Ready {
    if (this.#outstanding !== undefined) throw new Error(`Raft node ${this.id}: advance() the previous Ready before taking another`)
    const hard = this.hardState
    const hardState = hard.term !== this.#prevHard.term || hard.votedFor !== this.#prevHard.votedFor ? hard : undefined
    this.#prevHard = hard
    const { entries, truncateFrom } = this.#log.takeUnpersisted()
    const committed = this.#commitIndex > this.#appliedIndex ? this.#log.slice(this.#appliedIndex + 1, this.#commitIndex + 1) : []
    this.#appliedIndex = this.#commitIndex
    const messages = this.#messages
    this.#messages = []
    const soft = this.softState
    const softState = soft.role !== this.#prevSoft.role || soft.leaderId !== this.#prevSoft.leaderId || soft.term !== this.#prevSoft.term ? soft : undefined
    this.#prevSoft = soft
    this.#outstanding = { lastIndex: this.#log.lastIndex }
    const snapshot = this.#snapshotWrite
    const restore = this.#restorePending
    this.#snapshotWrite = this.#restorePending = undefined
    return { snapshot, restore, hardState, entries, truncateFrom, messages, committed, softState }
  }

  /** Acknowledges that `ready` was persisted, sent and applied. */
  advance (ready: Ready): void {
    void ready // the core remembers what it handed out; the argument documents the pairing
    const outstanding = this.#outstanding
    if (outstanding === undefined) throw new Error(`Raft node ${this.id}: advance() without an outstanding Ready`)
    this.#outstanding = undefined
    this.#log.markPersisted(outstanding.lastIndex)
    if (this.#role === 'leader' && this.#maybeCommit()) {
      this.#broadcastAppend(false)
      this.#onCommitAdvanced()
    }
  }

  // ---- elections ----

  #promotable (): boolean { return this.#tracker.isVoter(this.id) }

  #inLease (): boolean {
    return this.checkQuorum && this.#leaderId !== undefined && this.#electionElapsed < this.electionTicks
  }

  #resetRandomizedElectionTimeout (): void {
    this.#randomizedElectionTimeout = this.electionTicks + Math.floor(this.#random() * this.electionTicks)
  }

  #reset (): void {
    this.#electionElapsed = 0
    this.#heartbeatElapsed = 0
    this.#resetRandomizedElectionTimeout()
    this.#tracker.reset()
    this.#transferee = undefined
  }

  #tickElection (stalled: boolean): void {
    this.#electionElapsed++
    // a sole voter waits for no one: no other peer could lead (an embedded run's peer)
    const alone = this.#tracker.voters.size === 1
    if (this.#promotable() && (alone || this.#electionElapsed >= this.#randomizedElectionTimeout)) {
      // the leader's heartbeats may be queued behind our own stall: let them in first
      if (!alone && (stalled || this.#electionElapsed < this.#patience(this.#randomizedElectionTimeout))) {
        this.#logger.trace('%s defers its campaign in term %d: its own loop stalled', this.id, this.#term)
        return
      }
      this.#electionElapsed = 0
      this.#campaign(this.preVote ? 'pre-vote' : 'election')
    }
  }

  #tickLeader (stalled: boolean): void {
    this.#heartbeatElapsed++
    this.#electionElapsed++
    if (this.#transferee !== undefined && ++this.#transferElapsed >= this.electionTicks) {
      this.#logger('%s abandons the leadership transfer to %s', this.id, this.#transferee)
      this.#transferee = undefined
    }
    // after a stall of our own loop the followers' answers may still be queued: the quorum
    // check waits for them (the recent-activity marks keep counting meanwhile)
    if (!stalled && this.#electionElapsed >= this.#patience(this.electionTicks)) {
      this.#electionElapsed = 0
      if (this.checkQuorum) {
        if (!this.#tracker.quorumActive()) {
          this.#logger('%s steps down in term %d: no quorum heard within an election timeout', this.id, this.#term)
          this.#becomeFollower(this.#term, undefined)
          return
        }
        this.#tracker.resetRecentActive()
      }
    }
    if (this.#heartbeatElapsed >= this.heartbeatTicks) {
      this.#heartbeatElapsed = 0
      this.#broadcastAppend(true)
    }
  }

  #becomeFollower (term: number, leaderId: NodeId | undefined): void {
    if (term !== this.#term) {
      this.#term = term
      this.#votedFor = undefined
    }
    const was = this.#role
    this.#role = 'follower'
    this.#leaderId = leaderId
    this.#reset()
    if (was !== 'follower') this.#logger('%s became follower in term %d (leader %s)', this.id, term, leaderId)
  }

  #campaign (kind: CampaignKind): void {
    let voteTerm: number
    if (kind === 'pre-vote') {
      this.#role = 'pre-candidate'
      this.#leaderId = undefined
      this.#reset()
      voteTerm = this.#term + 1
    } else {
      this.#term++
      this.#votedFor = this.id
      this.#role = 'candidate'
      this.#leaderId = undefined
      this.#reset()
      voteTerm = this.#term
    }
    this.#logger.trace('%s starts a %s for term %d', this.id, kind, voteTerm)
    const result = this.#tracker.recordVote(this.id, true)
    if (result === 'won') {
      if (kind === 'pre-vote') this.#campaign('election')
      else this.#becomeLeader()
      return
    }
    for (const v of this.#tracker.voters) {
      if (v === this.id) continue
      this.#send(v, {
        type: 'request-vote',
        term: voteTerm,
        candidateId: this.id,
        lastLogIndex: this.#log.lastIndex,
        lastLogTerm: this.#log.lastTerm,
        preVote: kind === 'pre-vote',
        transfer: kind === 'transfer'
      })
    }
  }

  #handleRequestVote (from: NodeId, m: RequestVote): void {
    // Any node answers, whatever its own role: its configuration may be older than the
    // candidate's (a learner just promoted), and only the candidate's voters are counted.
    const canVote = this.#votedFor === from ||
      (this.#votedFor === undefined && this.#leaderId === undefined) ||
      (m.preVote && m.term > this.#term)
    const upToDate = m.lastLogTerm > this.#log.lastTerm ||
      (m.lastLogTerm === this.#log.lastTerm && m.lastLogIndex >= this.#log.lastIndex)
    if (canVote && upToDate) {
      if (!m.preVote) {
        this.#votedFor = from
        this.#electionElapsed = 0
      }
      this.#send(from, { type: 'request-vote-response', term: m.term, voteGranted: true, preVote: m.preVote })
    } else {
      this.#send(from, { type: 'request-vote-response', term: this.#term, voteGranted: false, preVote: m.preVote })
    }
  }

  #handleVoteResponse (from: NodeId, m: RequestVoteResponse): void {
    if (m.preVote) {
      if (this.#role !== 'pre-candidate') return
      if (m.term !== (m.voteGranted ? this.#term + 1 : this.#term)) return
    } else if (this.#role !== 'candidate' || m.term !== this.#term) {
      return
    }
    const result = this.#tracker.recordVote(from, m.voteGranted)
    if (result === 'won') {
      if (m.preVote) this.#campaign('election')
      else this.#becomeLeader()
    } else if (result === 'lost') {
      this.#becomeFollower(this.#term, undefined)
    }
  }

  /** Messages of an older term: tell the sender about the newer term where it helps. */
  #stepStale (from: NodeId, m: RaftMessage): void {
    if (m.type === 'append-entries') {
      // a leader cut off by a partition learns here that it has been replaced
      this.#send(from, { type: 'append-entries-response', term: this.#term, success: false, matchIndex: 0, conflictIndex: 0 })
    } else if (m.type === 'request-vote') {
      this.#send(from, { type: 'request-vote-response', term: this.#term, voteGranted: false, preVote: m.preVote })
    } else if (m.type === 'install-snapshot') {
      this.#send(from, { type: 'install-snapshot-response', term: this.#term, index: m.meta.index, received: 0, done: false })
    }
  }

  #becomeLeader (): void {
    this.#role = 'leader'
    this.#leaderId = this.id
    this.#reset()
    const next = this.#log.lastIndex + 1
    this.#tracker.startLeading(next)
    this.#leaderStartIndex = next
    this.#logger('%s became leader of term %d', this.id, this.#term)
    this.#appendLocal([{ term: this.#term, index: next, type: 'noop' }])
    this.#broadcastAppend(false)
  }

  // ---- log replication ----

  #appendLocal (entries: readonly LogEntry[]): void {
    this.#log.append(entries)
    if (entries.some(e => e.type === 'config')) this.#refreshConfig()
  }

  /** Re-reads the configuration after the log's latest config entry changed. */
  #refreshConfig (): void {
    const version = this.#log.configVersion
    if (version === this.#configVersion) return
    this.#configVersion = version
    const leading = this.#role === 'leader'
    this.#tracker.setConfiguration(this.configuration, leading ? this.#log.lastIndex + 1 : undefined)
    if (this.#transferee !== undefined && !this.#tracker.isVoter(this.#transferee)) this.#transferee = undefined
  }

  #broadcastAppend (heartbeat: boolean): void {
    for (const id of this.#tracker.followers()) this.#sendAppend(id, heartbeat)
  }

  #sendAppend (to: NodeId, heartbeat: boolean): void {
    const pr = this.#tracker.progress(to)
    if (pr === undefined) return
    if (pr.state === 'snapshot') {
      this.#sendSnapshot(to, pr.snapshot!, heartbeat)
      return
    }
    if (pr.state === 'probe' && pr.paused && !heartbeat) return
    const last = this.#log.lastIndex
    if (pr.next > last + 1) pr.next = last + 1
    const prevLogIndex = pr.next - 1
    if (prevLogIndex < this.#log.offset) {
      // the follower needs entries compacted away: it gets the snapshot instead (§7)
      const snapshot = this.#snapshot
      if (snapshot === undefined) throw new Error(`Raft node ${this.id}: log compacted to ${this.#log.offset} without a snapshot`)
      pr.state = 'snapshot'
      pr.snapshot = new SnapshotSender(snapshot, this.snapshotChunkBytes, this.snapshotChunksInFlight)
      this.#logger('%s sends snapshot %d (%d bytes) to %s, whose next index %d is compacted', this.id, snapshot.meta.index, snapshot.data.byteLength, to, pr.next)
      this.#sendSnapshot(to, pr.snapshot, false)
      return
    }
    const prevLogTerm = this.#log.term(prevLogIndex) ?? 0
    const entries = this.#log.slice(pr.next, Math.min(last + 1, pr.next + this.maxEntriesPerAppend))
    this.#send(to, { type: 'append-entries', term: this.#term, leaderId: this.id, prevLogIndex, prevLogTerm, entries, leaderCommit: this.#commitIndex })
    if (pr.state === 'replicate') pr.next += entries.length
    else pr.paused = true
  }

  #handleAppendEntries (from: NodeId, m: AppendEntries): void {
    for (let i = 0; i < m.entries.length; i++) {
      if (m.entries[i]?.index !== m.prevLogIndex + 1 + i) {
        this.#logger.error('%s drops AppendEntries from %s: entry %d does not follow index %d', this.id, from, i, m.prevLogIndex)
        return
      }
    }
    if (m.prevLogIndex < this.#log.offset) {
      // behind our snapshot: all committed, so our log matches the leader's up to our
      // commit index (etcd/raft answers the same way)
      this.#send(from, { type: 'append-entries-response', term: this.#term, success: true, matchIndex: this.#commitIndex, conflictIndex: 0 })
      return
    }
    const result = this.#log.maybeAppend(m.prevLogIndex, m.prevLogTerm, m.entries, this.#commitIndex)
    this.#refreshConfig()
    if (!result.ok) {
      this.#send(from, { type: 'append-entries-response', term: this.#term, success: false, matchIndex: 0, conflictIndex: result.conflictIndex })
      return
    }
    const matchIndex = result.matchIndex
    const commit = Math.min(m.leaderCommit, matchIndex)
    if (commit > this.#commitIndex) this.#commitIndex = commit
    this.#send(from, { type: 'append-entries-response', term: this.#term, success: true, matchIndex, conflictIndex: 0 })
  }

  #handleAppendResponse (from: NodeId, m: AppendEntriesResponse): void {
    const pr = this.#tracker.progress(from)
    if (pr === undefined) return
    pr.recentActive = true
    const last = this.#log.lastIndex
    if (pr.state === 'snapshot') {
      // answers to appends sent before the transfer began; only one that shows the
      // follower needs no snapshot after all ends it
      if (!m.success || m.matchIndex < this.#log.offset) return
      pr.match = Math.max(pr.match, Math.min(m.matchIndex, last))
      pr.state = 'probe'
      pr.snapshot = undefined
      pr.next = pr.match + 1
    }
    if (m.success) {
      if (m.matchIndex > pr.match) pr.match = Math.min(m.matchIndex, last)
      if (pr.state === 'probe') {
        pr.state = 'replicate'
        pr.next = pr.match + 1
      } else if (pr.next <= pr.match) {
        pr.next = pr.match + 1
      }
      pr.paused = false
      if (this.#maybeCommit()) {
        this.#broadcastAppend(false)
        if (this.#onCommitAdvanced()) return
      } else if (pr.next <= last) {
        this.#sendAppend(from, false)
      }
      if (from === this.#transferee && pr.match === last) {
        this.#send(from, { type: 'timeout-now', term: this.#term, leaderId: this.id })
      }
    } else {
      // The hint may lie at or below `match`: either the answer is to an older message, or
      // the follower's conflicting term started before the point where our logs diverge.
      // Both ways the logs agree up to `match`, so probe from just after it.
      pr.next = Math.max(pr.match + 1, Math.min(m.conflictIndex, last + 1))
      pr.state = 'probe'
      pr.paused = false
      this.#sendAppend(from, false)
    }
  }

  /** Commits the highest index on a majority of voters, if it is of the current term (§5.4.2). */
  #maybeCommit (): boolean {
    const n = this.#tracker.committedIndex(this.#log.stableIndex)
    if (n > this.#commitIndex && this.#log.term(n) === this.#term) {
      this.#commitIndex = n
      return true
    }
    return false
  }

  /** After the leader's commit index moved: a leader no longer in the config steps down. */
  #onCommitAdvanced (): boolean {
    if (this.#tracker.isVoter(this.id) || this.#log.lastConfigIndex > this.#commitIndex) return false
    // Hand over at once to an up-to-date voter rather than wait for an election timeout.
    let target: NodeId | undefined
    for (const id of this.#tracker.voters) {
      if (id !== this.id && this.#tracker.progress(id)?.match === this.#log.lastIndex) { target = id; break }
    }
    const term = this.#term
    this.#logger('%s steps down in term %d: removed from the configuration', this.id, term)
    this.#becomeFollower(term, undefined)
    if (target !== undefined) this.#send(target, { type: 'timeout-now', term, leaderId: this.id })
    return true
  }

  // ---- snapshots (§7) ----

  #sendSnapshot (to: NodeId, sender: SnapshotSender, heartbeat: boolean): void {
    if (heartbeat) sender.onHeartbeat()
    const { meta } = sender.snapshot
    for (const chunk of sender.next()) {
      this.#send(to, { type: 'install-snapshot', term: this.#term, leaderId: this.id, meta, size: sender.size, offset: chunk.offset, data: chunk.data })
    }
  }

  #handleSnapshotResponse (from: NodeId, m: InstallSnapshotResponse): void {
    const pr = this.#tracker.progress(from)
    if (pr === undefined) return
    pr.recentActive = true
    if (m.done) {
      // the follower's state covers the snapshot: replicate from after it (a late answer
      // for an older snapshot still tells the truth about the follower)
      if (m.index > pr.match) pr.match = Math.min(m.index, this.#log.lastIndex)
      if (pr.state !== 'snapshot' || (pr.snapshot !== undefined && m.index >= pr.snapshot.index)) {
        if (pr.state === 'snapshot') this.#logger('%s: %s installed snapshot %d', this.id, from, m.index)
        pr.state = 'probe'
        pr.snapshot = undefined
        pr.next = pr.match + 1
        pr.paused = false
        if (this.#maybeCommit()) {
          this.#broadcastAppend(false)
          if (this.#onCommitAdvanced()) return
        } else {
          this.#sendAppend(from, false)
        }
      }
      return
    }
    if (pr.state !== 'snapshot' || pr.snapshot === undefined || pr.snapshot.index !== m.index) return
    pr.snapshot.onResponse(m.received)
    this.#sendSnapshot(from, pr.snapshot, false)
  }

  #handleInstallSnapshot (from: NodeId, m: InstallSnapshot): void {
    const { meta } = m
    const answer = (received: number, done: boolean): void => {
      this.#send(from, { type: 'install-snapshot-response', term: this.#term, index: meta.index, received, done })
    }
    if (meta.index <= this.#commitIndex) {
      this.#incoming = undefined
      answer(m.size, true)
      return
    }
    if (this.#log.matches(meta.index, meta.term)) {
      // we hold the snapshot's last entry, so the log up to it matches and is committed
      this.#incoming = undefined
      this.#commitIndex = meta.index
      answer(m.size, true)
      return
    }
    let incoming = this.#incoming
    if (incoming === undefined || !incoming.matches(meta, m.size)) {
      if (m.offset !== 0) {
        answer(0, false) // we hold nothing of it (restarted, or a new snapshot): start over
        return
      }
      incoming = this.#incoming = new SnapshotReceiver(meta, m.size)
    }
    incoming.accept(m.offset, m.data)
    if (!incoming.complete) {
      answer(incoming.received, false)
      return
    }
    this.#incoming = undefined
    const snapshot: Snapshot = { meta, data: incoming.bytes() }
    this.#log.restore(meta)
    this.#refreshConfig()
    this.#snapshot = snapshot
    this.#commitIndex = this.#appliedIndex = meta.index
    this.#snapshotWrite = { snapshot, retainFrom: undefined }
    this.#restorePending = snapshot
    this.#logger('%s installed snapshot %d (term %d, %d bytes) from %s', this.id, meta.index, meta.term, m.size, from)
    answer(m.size, true)
  }

  #send (to: NodeId, message: RaftMessage): void {
    this.#messages.push({ from: this.id, to, message })
  }
}
