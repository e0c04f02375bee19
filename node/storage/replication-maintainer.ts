/**
 * Keeps this peer's blocks on R peers (DESIGN §6, issue 5 item 1): the repair loop around
 * `BlockReplicator.repair`. Corrupt copies on this peer's disk are the scrub's
 * (block-scrubber.ts).
 *
 * What is repaired: every block this peer holds, not only those reachable from the roots.
 * The blocks of a checkpoint being written are reachable from nothing until it completes,
 * yet they need their copies as much as any; unreachable blocks are the garbage
 * collector's (block-gc.ts), and it removes them within a grace period anyway. It also
 * needs no reads of manifests, local or remote.
 *
 * When: `membershipDebounceMs` (2 s) after the last membership change (seen by polling
 * `members()`, or told with `membershipChanged()`), and every `intervalMs` (10 min). A run
 * after a membership change looks only at the blocks whose holders changed since the last
 * clean run, and of those only the ones this peer is the first to answer for: the
 * highest-ranked holder of before that is still a member, or, when every holder of before
 * is gone, every peer with a copy (`repairDuty`). So after a change each block is
 * repaired by one peer, not by all its holders at once. The periodic run, the first run,
 * and any run after one that left a block short, check every block held, as a catch-all
 * (for puts that ended short, a holder that lost its copy, a change in between).
 *
 * Runs are one at a time, each over at most `repairConcurrency` blocks at once (the
 * replicator's bound); a run asked for while one is in progress follows it, and requests
 * that pile up meanwhile become one run.
 *
 * @example
 * const maintainer = new ReplicationMaintainer({ selfId, blocks, replicator, members: () => mesh.liveMembers() })
 * await maintainer.start()
 * membership.on('peer:lost', () => { maintainer.membershipChanged() })
 * // … later
 * await maintainer.stop()
 */
import { logger, type Logger } from '@libp2p/logger'
import type { BlockCid } from '../../protocol/cid.ts'
import { DEFAULT_MEMBERSHIP_POLL_MS, DEFAULT_REPAIR_DEBOUNCE_MS, DEFAULT_REPAIR_INTERVAL_MS } from './block-constants.ts'
import type { BlockStore } from './block-store.ts'
import { rendezvousHolders } from './rendezvous.ts'
import type { BlockReplicator } from './replication.ts'

/** What a ReplicationMaintainer uses. */
export interface ReplicationMaintainerComponents {
  /** This peer's id, as it appears in `members`. */
  readonly selfId: string
  readonly blocks: BlockStore
  readonly replicator: BlockReplicator
  /** The live members, this peer included: the same list the replicator is given. */
  readonly members: () => readonly string[]
}

/** Options of a ReplicationMaintainer. */
export interface ReplicationMaintainerInit {
  /** Quiet time after the last membership change before a repair (default 2 s). */
  readonly membershipDebounceMs?: number
  /** Every block held is checked this often (default 10 min; 0 or Infinity: never). */
  readonly intervalMs?: number
  /** How often `members()` is compared with what was last seen (default 1 s; 0: never). */
  readonly pollMs?: number
  /** Defaults to `logger('meshflow:storage:replication-maintainer')`. */
  readonly log?: Logger
}

/** Why a repair ran. */
export type RepairReason = 'membership' | 'periodic' | 'requested'

/** What one repair run did. */
export interface MaintenanceSummary {
  readonly reason: RepairReason
  /** Whether every block held was considered (or only those whose holders changed). */
  readonly full: boolean
  /** Members when it ran. */
  readonly members: number
  /** Blocks held here when it ran. */
  readonly held: number
  /** Blocks handed to the replicator (its holders asked which lack them). */
  readonly checked: number
  /** Copies written to holders that lacked them. */
  readonly copied: number
  /** Blocks still short of R copies afterwards (the replicator logged each). */
  readonly failed: number
  readonly ms: number
}

/** Options of `repairNow`. */
export interface MaintenanceOptions {
  readonly signal?: AbortSignal
}

/**
 * Whether this peer should repair `cid` after the members went from `previous` to
 * `current` (see the module comment): only when the block's holders changed, and then
 * only if this peer is the highest-ranked holder of before still a member, or no holder
 * of before is left (then every peer with a copy does it).
 */
export function repairDuty (cid: string, self: string, previous: readonly string[], rPrevious: number, current: readonly string[], rCurrent: number): boolean {
  const before = rendezvousHolders(cid, previous, rPrevious)
  const after = rendezvousHolders(cid, current, rCurrent)
  if (before.length === after.length && before.every(p => after.includes(p))) return false
  const live = new Set(current)
  // `before` is in rendezvous order, which does not depend on who else is a member
  const first = before.find(p => live.has(p))
  return first === undefined || first === self
}

/** The repair loop of this peer's blocks (see the module comment). */
export class ReplicationMaintainer {
  readonly #selfId: string
  readonly #blocks: BlockStore
  readonly #replicator: BlockReplicator
  readonly #members: () => readonly string[]
  readonly #debounceMs: number
  readonly #intervalMs: number
  readonly #pollMs: number
  readonly #log: Logger

  #controller: AbortController | undefined
  #timers: ReturnType<typeof setInterval>[] = []
  #debounce: ReturnType<typeof setTimeout> | undefined
  /** The members as last seen by the poll, sorted and joined. */
  #seen = ''
  /** The members at the end of the last run that left no block short; undefined: the next run is full. */
  #settled: readonly string[] | undefined
  /** Runs are one at a time: the tail of the chain. */
  #tail: Promise<unknown> = Promise.resolve()
  /** A background repair waiting for its turn, which later requests join. */
  #queued: { reason: RepairReason, full: boolean } | undefined
  readonly #background = new Set<Promise<unknown>>()
  #lastRun: MaintenanceSummary | undefined

  constructor (components: ReplicationMaintainerComponents, init: ReplicationMaintainerInit = {}) {
    this.#selfId = components.selfId
    this.#blocks = components.blocks
    this.#replicator = components.replicator
    this.#members = components.members
    this.#debounceMs = Math.max(0, init.membershipDebounceMs ?? DEFAULT_REPAIR_DEBOUNCE_MS)
    this.#intervalMs = init.intervalMs ?? DEFAULT_REPAIR_INTERVAL_MS
    this.#pollMs = init.pollMs ?? DEFAULT_MEMBERSHIP_POLL_MS
    this.#log = init.log ?? logger('meshflow:storage:replication-maintainer')
  }

  get isStarted (): boolean { return this.#controller !== undefined }

  /** The last repair run's summary (undefined before the first). */
  get lastRun (): MaintenanceSummary | undefined { return this.#lastRun }

  /** Starts the timers; the first repair follows the first membership change or interval. */
  async start (): Promise<void> {
    if (this.#controller !== undefined) return
    this.#controller = new AbortController()
    this.#seen = membersKey(this.#members())
    const every = (ms: number, fn: () => void): void => {
      if (!(ms > 0) || !Number.isFinite(ms)) return
      const timer = setInterval(fn, ms)
      // the peer's own handles keep the process alive, not this housekeeping
      timer.unref()
      this.#timers.push(timer)
    }
    every(this.#pollMs, () => {
      const key = membersKey(this.#members())
      if (key === this.#seen) return
      this.#seen = key
      this.membershipChanged()
    })
    every(this.#intervalMs, () => { this.#trigger('periodic', true) })
  }

  /** Stops the timers, aborts the run in progress and waits for it to end. */
  async stop (): Promise<void> {
    const controller = this.#controller
    if (controller === undefined) return
    this.#controller = undefined
    for (const timer of this.#timers) clearInterval(timer)
    this.#timers = []
    clearTimeout(this.#debounce)
    this.#debounce = undefined
    controller.abort(new Error('Replication maintainer stopped'))
    await Promise.allSettled([...this.#background])
  }

  /** Tells the loop the members changed: a repair follows once they are quiet for the debounce time. */
  membershipChanged (): void {
    if (this.#controller === undefined) return
    clearTimeout(this.#debounce)
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined
      this.#trigger('membership', false)
    }, this.#debounceMs)
    this.#debounce.unref()
  }

  /**
   * Checks every block held now (after any run in progress) and resolves with what was
   * done. Works whether or not the loop is started.
   *
   * @throws `signal.reason` when the signal aborts
   */
  async repairNow (options: MaintenanceOptions = {}): Promise<MaintenanceSummary> {
    options.signal?.throwIfAborted()
    return await this.#exclusive(async () => await this.#repair('requested', true, options.signal))
  }

  /** Queues a background repair, or widens the one already waiting. */
  #trigger (reason: RepairReason, full: boolean): void {
    const signal = this.#controller?.signal
    if (signal === undefined) return
    if (this.#queued !== undefined) {
      this.#queued.full ||= full
      return
    }
    const queued = { reason, full }
    this.#queued = queued
    this.#spawn(this.#exclusive(async () => {
      this.#queued = undefined
      return await this.#repair(queued.reason, queued.full, signal)
    }), 'repair')
  }

  /** Tracks a background run so `stop` can wait for it; its failure is logged. */
  #spawn (run: Promise<unknown>, what: string): void {
    const tracked = run.catch((err: unknown) => {
      if (this.#controller === undefined) return // stopped: the abort is expected
      this.#log.error('%s of blocks failed: %e', what, err)
    }).finally(() => { this.#background.delete(tracked) })
    this.#background.add(tracked)
  }

  #exclusive<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn)
    this.#tail = run.catch(() => {})
    return run
  }

  async #repair (reason: RepairReason, full: boolean, signal: AbortSignal | undefined): Promise<MaintenanceSummary> {
    signal?.throwIfAborted()
    const started = performance.now()
    const members = [...this.#members()]
    const previous = this.#settled
    const whole = full || previous === undefined
    const rPrevious = previous === undefined ? 0 : this.#replicator.replicasFor(previous)
    const rCurrent = this.#replicator.replicasFor(members)
    const self = this.#selfId
    let held = 0
    const blocks = this.#blocks
    async function * pick (): AsyncGenerator<BlockCid, void, undefined> {
      for await (const block of blocks.stored(signal === undefined ? {} : { signal })) {
        held++
        if (whole || repairDuty(block.cid.toString(), self, previous, rPrevious, members, rCurrent)) yield block.cid
      }
    }
    const result = await this.#replicator.repair(pick(), signal === undefined ? {} : { signal })
    // after a run that left blocks short, the next is full: a change-only run would skip them
    this.#settled = result.failed === 0 ? members : undefined
    const summary: MaintenanceSummary = {
      reason, full: whole, members: members.length, held, checked: result.checked, copied: result.copied, failed: result.failed, ms: performance.now() - started
    }
    this.#lastRun = summary
    const log = result.failed > 0 ? this.#log.error : this.#log
    log('%s repair (%s) over %d members: %d blocks held, %d checked, %d copies made, %d short of %d copies, in %d ms',
      reason, whole ? 'every block' : 'changed holders', members.length, held, result.checked, result.copied, result.failed, rCurrent, Math.round(summary.ms))
    return summary
  }

}

function membersKey (members: readonly string[]): string {
  return [...new Set(members)].sort().join('\n')
}
