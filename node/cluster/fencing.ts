/**
 * Fencing of JobManager commands (DESIGN §5): every command a JobManager sends carries the
 * `(term, leaderId)` of the Raft term it leads. A TaskManager remembers the highest term it
 * has seen and rejects commands from older terms, so a deposed leader that has not noticed
 * yet can never act next to the new one; within one term only that term's leader is
 * accepted (Raft elects at most one leader per term).
 *
 * @example
 * const guard = new FencingGuard()
 * guard.check({ term: 4, leaderId: 'A' })   // ok
 * guard.check({ term: 3, leaderId: 'B' })   // throws StaleLeaderError
 */
import type { FencingToken } from './raft/types.ts'

/** A command came from a leader of an older term (or a second leader in one term). */
export class StaleLeaderError extends Error {
  readonly token: FencingToken
  constructor (token: FencingToken, current: FencingToken) {
    super(token.term < current.term
      ? `Rejected a command of leader ${token.leaderId} in term ${token.term}: term ${current.term} (leader ${current.leaderId}) is newer`
      : `Rejected a command of ${token.leaderId} in term ${token.term}: ${current.leaderId} leads that term`)
    this.name = 'StaleLeaderError'
    this.token = token
  }
}

export class FencingGuard {
  #current: FencingToken | undefined

  /** The newest token accepted so far. */
  get current (): FencingToken | undefined { return this.#current }

  /**
   * Accepts `token` when it is at least as new as every token seen (and of the same leader
   * within a term); remembers it.
   *
   * @throws {StaleLeaderError} otherwise
   */
  check (token: FencingToken): void {
    const current = this.#current
    if (current !== undefined) {
      if (token.term < current.term) throw new StaleLeaderError(token, current)
      if (token.term === current.term && token.leaderId !== current.leaderId) throw new StaleLeaderError(token, current)
    }
    this.#current = { term: token.term, leaderId: token.leaderId }
  }

  /** Learns of a newer term without a command (from a heartbeat or a Raft message). */
  observe (token: FencingToken): void {
    if (this.#current === undefined || token.term > this.#current.term) this.#current = { term: token.term, leaderId: token.leaderId }
  }
}
