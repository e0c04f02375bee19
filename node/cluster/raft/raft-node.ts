/**
 * The asynchronous driver around `RaftCore`: a timer that ticks it, a loop that persists
 * each Ready through `RaftStorage` before sending its messages and applying its committed
 * entries, and promises for proposals that settle when their entry commits.
 */
import { logger } from '@libp2p/logger'
import type { Logger } from '@libp2p/logger'
import type { LogEntry, NodeId, RaftConfiguration, RaftEnvelope } from '../../../protocol/raft.ts'
import { DEFAULT_SNAPSHOT_EVERY, DEFAULT_TICK_MS } from './constants.ts'
import { LeadershipLostError, LeadershipTransferError, RaftNodeStoppedError } from './errors.ts'
import { RaftCore } from './raft-core.ts'
import type { RaftCoreInit } from './raft-core.ts'
import type { RaftStorage } from './raft-storage.ts'
import { TypedEvents } from '../../mesh/typed-events.ts'
import type { ConfigChange, FencingToken, ProposalPosition, RaftRole, RaftStateMachine, Snapshot, SoftState } from './types.ts'

/** Carries Raft messages to other peers. Best effort: Raft copes with loss and reordering. */
export interface RaftTransport {
  send (envelope: RaftEnvelope): void
}

export interface RaftNodeComponents {
  readonly storage: RaftStorage
  readonly transport: RaftTransport
  /**
   * The application's state, for snapshots: without it the node never snapshots and only
   * emits `restored` when a leader installs one.
   */
  readonly stateMachine?: RaftStateMachine
}

export interface RaftNodeInit extends Omit<RaftCoreInit, 'restore'> {
  /** Milliseconds per tick. Default 50 (with 10 election ticks: timeouts of 500–1000 ms). */
  readonly tickMs?: number
  /** Uniform in [0, 1) for election timeouts; default `Math.random`. */
  readonly random?: () => number
  /**
   * Snapshot the state machine every this many applied entries (0: never). Default 1,000
   * (see `DEFAULT_SNAPSHOT_EVERY` for why).
   */
  readonly snapshotEvery?: number
  /**
   * Milliseconds on a monotonic clock, read at every tick to measure how late it came (the
   * event loop's delay); default `performance.now`.
   */
  readonly now?: () => number
  /**
   * A tick that comes more than this many milliseconds after it was due ends a stall of this
   * peer's own loop: the core then neither campaigns nor steps down on it, and waits longer
   * for a while (see `TickOptions.stalled`). Default one tick (`tickMs`).
   */
  readonly stallMs?: number
}

export interface RaftNodeEvents extends Record<string, unknown> {
  /** The role, the known leader or the term changed. */
  'state-change': SoftState
  /** The known leader changed (`leaderId` is undefined while there is none). */
  'leader-change': { readonly leaderId: NodeId | undefined, readonly term: number }
  /**
   * An entry committed; entries come in index order, after every start from the one after
   * the snapshot the node restored (from index 1 without one).
   */
  'committed': LogEntry
  /** The state machine was restored from a snapshot: on start, or installed from the leader. */
  'restored': { readonly index: number, readonly term: number, readonly bytes: number, readonly installed: boolean }
  /** A snapshot was taken (and the log compacted behind it). */
  'snapshot': { readonly index: number, readonly term: number, readonly bytes: number }
  /** Storage failed or the core hit an internal error; the node has stopped. */
  'error': Error
}

export interface RaftNodeOptions {
  readonly signal?: AbortSignal
}

interface Waiter {
  readonly term: number
  readonly resolve: () => void
  readonly reject: (err: Error) => void
}

/**
 * A Raft peer: start it, feed it the messages that arrive for it, and propose commands
 * when it leads.
 *
 * @example
 * const node = new RaftNode({ storage: new MemoryRaftStorage(), transport }, { id: 'a' })
 * await node.start()
 * await node.bootstrap({ voters: ['a', 'b', 'c'], learners: [] }) // first start of an initial voter only
 * node.addEventListener('committed', e => { apply(e.detail) })
 * if (node.role === 'leader') await node.propose({ op: 'submit-job', cid })
 */
export class RaftNode extends TypedEvents<RaftNodeEvents> {
  readonly id: NodeId
  readonly tickMs: number
  readonly stallMs: number
  readonly #now: () => number
  readonly #components: RaftNodeComponents
  readonly #init: RaftNodeInit
  readonly #log: Logger
  #core: RaftCore | undefined
  #starting: Promise<void> | undefined
  #timer: ReturnType<typeof setInterval> | undefined
  /** When the previous tick ran (`#now()`), to measure the loop's delay. */
  #lastTickAt = 0
  #stalls = 0
  #busy = false
  #loop: Promise<void> = Promise.resolve()
  #soft: SoftState = { role: 'follower', leaderId: undefined, term: 0 }
  /** Proposals waiting for their entry to commit, by log index. */
  readonly #waiters = new Map<number, Waiter>()
  /** The leadership transfer in progress and the callers waiting for it. */
  #transfer: { readonly to: NodeId, readonly waiters: Set<{ resolve: (to: NodeId) => void, reject: (err: Error) => void }> } | undefined

  constructor (components: RaftNodeComponents, init: RaftNodeInit) {
    super()
    this.id = init.id
    this.tickMs = init.tickMs ?? DEFAULT_TICK_MS
    this.stallMs = init.stallMs ?? this.tickMs
    this.#now = init.now ?? (() => performance.now())
    this.#components = components
    this.#init = init
    this.#log = logger('meshflow:cluster:raft-node')
  }

  get isStarted (): boolean { return this.#core !== undefined }
  /** Ticks that came late by more than `stallMs` since start: stalls of this peer's own loop. */
  get stalls (): number { return this.#stalls }
  get role (): RaftRole { return this.#core?.role ?? 'follower' }
  get term (): number { return this.#core?.term ?? 0 }
  get leaderId (): NodeId | undefined { return this.#core?.leaderId }
  get commitIndex (): number { return this.#core?.commitIndex ?? 0 }
  /** Index of the last entry of the log (0 for an empty log). */
  get lastIndex (): number { return this.#core?.lastIndex ?? 0 }
  get configuration (): RaftConfiguration { return this.#core?.configuration ?? { voters: [], learners: [] } }
  /** Index of the latest snapshot, 0 without one. */
  get snapshotIndex (): number { return this.#core?.snapshotMeta?.index ?? 0 }
  /** First index still in the log (earlier ones are behind the snapshot). */
  get firstIndex (): number { return this.#core?.firstIndex ?? 1 }

  /** `(term, leaderId)` to stamp on JobManager commands; `undefined` while no leader is known. */
  get fencingToken (): FencingToken | undefined { return this.#core?.fencingToken }

  /**
   * On the leader: whether `id` (a learner, typically, before its promotion, thesis §4.2.1)
   * holds every committed entry and answered within the current check-quorum period.
   * False on other nodes and for non-members.
   */
  isCaughtUp (id: NodeId): boolean {
    const core = this.#core
    if (core === undefined || core.role !== 'leader') return false
    if (id === this.id) return true
    const pr = core.progress(id)
    return pr !== undefined && pr.recentActive && pr.match >= core.commitIndex
  }

  /** Loads the saved state and starts ticking. Safe to call twice. */
  async start (): Promise<void> {
    if (this.#core !== undefined) return
    this.#starting ??= this.#start().finally(() => { this.#starting = undefined })
    await this.#starting
  }

  async #start (): Promise<void> {
    const state = await this.#components.storage.load()
    const { tickMs: _t, random, snapshotEvery: _s, now: _n, stallMs: _m, ...init } = this.#init
    const core = new RaftCore(random === undefined ? {} : { random }, { ...init, restore: state })
    // the application starts from the snapshot; only later entries are replayed
    if (state.snapshot !== undefined) this.#restore(state.snapshot, false)
    this.#core = core
    this.#soft = core.softState
    this.#lastTickAt = this.#now()
    this.#timer = setInterval(() => { this.#tick() }, this.tickMs)
    this.#log('%s started in term %d with snapshot %d and entries %d..%d', this.id, core.term, state.snapshot?.meta.index ?? 0, core.firstIndex, core.lastIndex)
    this.#kick()
    this.#tickIfAlone()
  }

  /** A sole voter leads at its next tick whatever the time (RaftCore): take that tick now, not a tick later. */
  #tickIfAlone (): void {
    const voters = this.#core?.configuration.voters
    if (voters?.length === 1 && voters[0] === this.id) this.#tick()
  }

  /**
   * Stops ticking and handling messages, waits for a storage write in progress, and
   * rejects waiting proposals with `RaftNodeStoppedError`. Safe to call twice. A leader
   * that wants a quick hand-over calls `transferLeadership` first.
   */
  async stop (): Promise<void> {
    if (this.#starting !== undefined) await this.#starting.catch(() => {})
    if (this.#core === undefined) return
    this.#halt()
    await this.#loop
    this.#log('%s stopped', this.id)
  }

  #halt (cause?: Error): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.#core = undefined
    const err = new RaftNodeStoppedError(this.id, cause === undefined ? undefined : { cause })
    for (const w of this.#waiters.values()) w.reject(err)
    this.#waiters.clear()
    this.#endTransfer(err)
  }

  /**
   * Writes the initial configuration (entry 1) on a fresh node: only the initial voters, all
   * with the same configuration, on their very first start. Resolves once it is persisted.
   *
   * @throws {BootstrapError} when the node already has a log
   * @throws {RaftNodeStoppedError} when the node is not started
   */
  async bootstrap (config: RaftConfiguration, options: RaftNodeOptions = {}): Promise<void> {
    const core = this.#running()
    core.bootstrap(config)
    this.#tickIfAlone()
    await this.#waitCommitted({ index: 1, term: 1 }, options)
  }

  /**
   * Restarts the group from this node's log with `config` (see `RaftCore.forceConfiguration`);
   * resolves once the new configuration is persisted and committed.
   *
   * @throws {BootstrapError} when the node has no log
   * @throws {RaftNodeStoppedError} when the node is not started
   */
  async forceConfiguration (config: RaftConfiguration, options: RaftNodeOptions = {}): Promise<void> {
    const core = this.#running()
    const index = core.forceConfiguration(config)
    await this.#waitCommitted({ index, term: core.term }, options)
  }

  /** Handles a message from another peer. Dropped while the node is stopped. */
  receive (envelope: RaftEnvelope): void {
    const core = this.#core
    if (core === undefined) return
    try {
      core.step(envelope)
    } catch (err) {
      this.#fail(err)
      return
    }
    this.#kick()
  }

  /**
   * Proposes a command; resolves with its log position once it is committed (and emitted
   * as `committed`).
   *
   * @throws {NotLeaderError} this node does not lead; `leaderId` names the leader it knows
   * @throws {LeadershipTransferInProgressError} a leadership transfer is running
   * @throws {LeadershipLostError} leadership was lost before the entry committed: it may
   * still commit
   * @throws {RaftNodeStoppedError} the node is not started or stopped meanwhile
   * @throws the signal's reason when aborted (the entry may still commit)
   */
  async propose (command: unknown, options: RaftNodeOptions = {}): Promise<ProposalPosition> {
    options.signal?.throwIfAborted()
    const result = this.#running().propose(command)
    if (result instanceof Error) throw result
    return await this.#waitCommitted(result, options)
  }

  /**
   * Proposes a single-server membership change; resolves once it is committed.
   *
   * @throws {NotLeaderError | ConfigChangeInProgressError | InvalidConfigChangeError | LeadershipTransferInProgressError}
   * and whatever `propose` throws while waiting
   */
  async changeConfiguration (change: ConfigChange, options: RaftNodeOptions = {}): Promise<ProposalPosition> {
    options.signal?.throwIfAborted()
    const result = this.#running().changeConfiguration(change)
    if (result instanceof Error) throw result
    return await this.#waitCommitted(result, options)
  }

  /**
   * Hands leadership to `to` (default: the most up-to-date voter) and resolves with the
   * transferee once this node no longer leads.
   *
   * @throws {NotLeaderError} this node does not lead
   * @throws {LeadershipTransferError} no valid target, or no election within an election timeout
   */
  async transferLeadership (to?: NodeId, options: RaftNodeOptions = {}): Promise<NodeId> {
    options.signal?.throwIfAborted()
    const core = this.#running()
    const target = core.transferLeadership(to)
    if (target instanceof Error) throw target
    if (target === this.id) return target
    if (this.#transfer?.to !== target) {
      if (this.#transfer !== undefined) this.#endTransfer(new LeadershipTransferError(this.#transfer.to, `superseded by a transfer to ${target}`))
      this.#transfer = { to: target, waiters: new Set() }
    }
    const transfer = this.#transfer
    const signal = options.signal
    let waiter: { resolve: (to: NodeId) => void, reject: (err: Error) => void } | undefined
    const done = new Promise<NodeId>((resolve, reject) => {
      waiter = { resolve, reject }
      transfer.waiters.add(waiter)
    })
    const onAbort = (): void => {
      // only this caller stops waiting; the transfer itself goes on
      if (waiter !== undefined) transfer.waiters.delete(waiter)
      waiter?.reject(signal?.reason as Error)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    this.#kick()
    try {
      return await done
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Settles every caller waiting for the transfer in progress: resolved without `err`. */
  #endTransfer (err?: Error): void {
    const t = this.#transfer
    if (t === undefined) return
    this.#transfer = undefined
    for (const w of t.waiters) {
      if (err === undefined) w.resolve(t.to)
      else w.reject(err)
    }
  }

  #running (): RaftCore {
    const core = this.#core
    if (core === undefined) throw new RaftNodeStoppedError(this.id)
    return core
  }

  #waitCommitted (position: ProposalPosition, options: RaftNodeOptions): Promise<ProposalPosition> {
    const { signal } = options
    return new Promise<ProposalPosition>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters.delete(position.index)
        reject(signal?.reason)
      }
      const cleanup = (): void => { signal?.removeEventListener('abort', onAbort) }
      this.#waiters.get(position.index)?.reject(new LeadershipLostError(position.index, position.term))
      this.#waiters.set(position.index, {
        term: position.term,
        resolve: () => { cleanup(); resolve(position) },
        reject: err => { cleanup(); reject(err) }
      })
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#kick()
    })
  }

  #tick (): void {
    const core = this.#core
    if (core === undefined) return
    const now = this.#now()
    const late = now - this.#lastTickAt - this.tickMs
    this.#lastTickAt = now
    const stalled = late > this.stallMs
    if (stalled) {
      this.#stalls++
      this.#log('%s ticked %d ms late: its loop stalled', this.id, Math.round(late))
    }
    try {
      core.tick({ stalled })
    } catch (err) {
      this.#fail(err)
      return
    }
    this.#checkTransfer(core)
    this.#kick()
  }

  /** Starts the Ready loop unless it runs already (it re-checks for work before it ends). */
  #kick (): void {
    const core = this.#core
    if (this.#busy || core === undefined || !core.hasReady()) return
    this.#busy = true
    this.#loop = this.#drain(core)
  }

  async #drain (core: RaftCore): Promise<void> {
    try {
      while (this.#core === core && core.hasReady()) {
        const ready = core.ready()
        // the snapshot first: the log is compacted only behind a snapshot on disk
        if (ready.snapshot !== undefined) await this.#components.storage.saveSnapshot(ready.snapshot.snapshot, ready.snapshot.retainFrom)
        await this.#components.storage.save(ready.hardState, ready.entries, ready.truncateFrom)
        // stopped while writing: like a crash after persisting, nothing else may happen
        if (this.#core !== core) return
        for (const m of ready.messages) this.#send(m)
        if (ready.restore !== undefined) this.#restore(ready.restore, true)
        for (const e of ready.committed) this.#applied(e)
        if (ready.softState !== undefined) this.#softStateChanged(ready.softState)
        core.advance(ready)
        this.#checkTransfer(core)
        this.#maybeSnapshot(core)
      }
    } catch (err) {
      this.#fail(err)
    } finally {
      this.#busy = false
    }
  }

  #send (m: RaftEnvelope): void {
    try {
      this.#components.transport.send(m)
    } catch (err) {
      this.#log.error('%s could not send %s to %s: %e', this.id, m.message.type, m.to, err)
    }
  }

  #applied (e: LogEntry): void {
    const w = this.#waiters.get(e.index)
    if (w !== undefined) {
      this.#waiters.delete(e.index)
      if (w.term === e.term) w.resolve()
      else w.reject(new LeadershipLostError(e.index, w.term))
    }
    this.emit('committed', e)
  }

  /** Hands a snapshot to the state machine (a failure stops the node: its state would be wrong). */
  #restore (snapshot: Snapshot, installed: boolean): void {
    const { index, term } = snapshot.meta
    this.#components.stateMachine?.restore(snapshot.data, index)
    this.#log('%s restored snapshot %d (term %d, %d bytes)%s', this.id, index, term, snapshot.data.byteLength, installed ? ' installed from the leader' : '')
    this.emit('restored', { index, term, bytes: snapshot.data.byteLength, installed })
  }

  /** Every `snapshotEvery` applied entries: snapshot the state machine and compact the log. */
  #maybeSnapshot (core: RaftCore): void {
    const sm = this.#components.stateMachine
    const every = this.#init.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY
    if (sm === undefined || every <= 0) return
    const index = core.appliedIndex
    if (index - (core.snapshotMeta?.index ?? 0) < every) return
    let data: Uint8Array
    try {
      data = sm.snapshot()
    } catch (err) {
      // the log keeps growing until a snapshot succeeds: loud, but not fatal
      this.#log.error('%s could not snapshot its state machine at %d: %e', this.id, index, err)
      return
    }
    if (core.createSnapshot(index, data)) {
      this.emit('snapshot', { index, term: core.snapshotMeta?.term ?? 0, bytes: data.byteLength })
    }
  }

  #softStateChanged (soft: SoftState): void {
    const prev = this.#soft
    this.#soft = soft
    if (prev.role === 'leader' && (soft.role !== 'leader' || soft.term !== prev.term)) {
      for (const [index, w] of this.#waiters) w.reject(new LeadershipLostError(index, w.term))
      this.#waiters.clear()
    }
    if (soft.role !== prev.role) this.#log('%s is %s in term %d', this.id, soft.role, soft.term)
    this.emit('state-change', soft)
    if (soft.leaderId !== prev.leaderId || (soft.leaderId !== undefined && soft.term !== prev.term)) {
      this.emit('leader-change', { leaderId: soft.leaderId, term: soft.term })
    }
  }

  #checkTransfer (core: RaftCore): void {
    const t = this.#transfer
    if (t === undefined) return
    if (core.role !== 'leader') this.#endTransfer()
    else if (core.transferee !== t.to) this.#endTransfer(new LeadershipTransferError(t.to, 'no election within an election timeout'))
  }

  #fail (err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err))
    this.#log.error('%s stops after an error: %e', this.id, error)
    this.#halt(error)
    this.emit('error', error)
  }
}
