/**
 * The rejoin of a peer that dropped its Raft state (`meshflow node --repair`, see
 * storage/raft-log-store.ts). Until it holds every committed entry again it neither votes
 * nor campaigns: it may have voted in the current term before it lost its state, and its
 * empty log would make it grant a vote to a candidate missing entries it had acknowledged.
 * Vote requests (and a leader's request to campaign at once) are dropped both ways, as if
 * lost, which Raft tolerates. Meanwhile the peer says it is repairing in its membership
 * heartbeats, and the leader takes it out of the voters and adds it back as a learner
 * (voter-policy.ts).
 *
 * The repair is over once the peer has committed the leader's commit index of its first
 * contact and an entry of the current term (everything committed in earlier terms precedes
 * that entry, Raft §5.4); `RaftLogStore.finishRepair` then clears the mark on disk.
 *
 * @example
 * const repair = new RaftRepair({ store: raftStore, term: () => raft.term, leaderId: () => raft.leaderId, done: () => updateRole() })
 * if (!repair.admits(envelope)) return          // incoming
 * repair.committed(entry)                        // on every committed entry
 */
import { logger } from '@libp2p/logger'
import type { LogEntry, NodeId, RaftEnvelope } from '../../protocol/raft.ts'
import type { RaftLogStore } from '../storage/raft-log-store.ts'

const log = logger('meshflow:cluster:raft-repair')

/** What a RaftRepair uses. */
export interface RaftRepairComponents {
  readonly store: RaftLogStore
  readonly term: () => number
  readonly leaderId: () => NodeId | undefined
  /** Called once when the repair is over (recorded on disk). */
  readonly done: () => void
}

/** One repair in progress (see the module comment). */
export class RaftRepair {
  readonly #c: RaftRepairComponents
  /** The leader's commit index when this peer first heard from a leader. */
  #target: number | undefined
  #finishing = false
  #over = false

  constructor (components: RaftRepairComponents) {
    this.#c = components
  }

  /** Whether the repair is over. */
  get isOver (): boolean { return this.#over }

  /** Whether to pass an incoming Raft message on (false for vote requests and timeout-now). */
  admits (envelope: RaftEnvelope): boolean {
    if (this.#over) return true
    const m = envelope.message
    if (m.type === 'request-vote' || m.type === 'timeout-now') {
      log('repairing: ignoring %s from %s in term %d', m.type, envelope.from, m.term)
      return false
    }
    if (m.type === 'append-entries' && this.#target === undefined && m.term >= this.#c.term()) {
      this.#target = m.leaderCommit
      log('repairing: catching up with leader %s to commit index %d', envelope.from, m.leaderCommit)
    }
    return true
  }

  /** Whether to send an outgoing Raft message (false for this peer's vote requests). */
  sends (envelope: RaftEnvelope): boolean {
    return this.#over || envelope.message.type !== 'request-vote'
  }

  /** Notes a committed entry; ends the repair once it is caught up. */
  committed (entry: LogEntry): void {
    const term = this.#c.term()
    const leader = this.#c.leaderId()
    if (this.#over || this.#finishing || this.#target === undefined || entry.index < this.#target || entry.term !== term || leader === undefined) return
    this.#finishing = true
    void this.#c.store.finishRepair(term, leader).then(() => {
      this.#over = true
      log.error('repair: caught up with leader %s at index %d in term %d; voting again once a voter', leader, entry.index, term)
      this.#c.done()
    }, (err: unknown) => {
      // stays repairing (not voting); the next committed entry tries again
      this.#finishing = false
      log.error('repair: cannot record its end: %e', err)
    })
  }
}
