/**
 * Fencing of JobManager commands (DESIGN §5, §9): every command a JobManager sends a
 * TaskManager directly (a checkpoint trigger) carries the `(term, leaderId)` of the Raft
 * term it leads. The receiver acts on it only when
 * - it came on a connection from `leaderId` itself (noise authenticates the remote peer id,
 *   so no one can speak for the leader),
 * - its term is the receiver's own current Raft term and `leaderId` the leader the receiver
 *   knows for it: a deposed leader that has not noticed yet (an older term) is refused, and
 *   so is a term the receiver has not reached (a peer that claims a term out of nowhere
 *   could otherwise fence out the real leader),
 * - and its term is not older than any accepted before.
 *
 * @example
 * const guard = new FencingGuard({ current: () => raft.fencingToken })
 * guard.check({ term: 4, leaderId: 'A' }, 'A')   // ok while this peer's Raft says A leads term 4
 * guard.check({ term: 3, leaderId: 'B' }, 'B')   // throws StaleLeaderError
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

/**
 * A command's token names a term this peer does not know a leader for (yet): it is not
 * acted on; the JobManager tries again with its next command.
 */
export class UnknownTermError extends Error {
  readonly token: FencingToken
  constructor (token: FencingToken, current: FencingToken | undefined) {
    super(current === undefined
      ? `Rejected a command of ${token.leaderId} in term ${token.term}: this peer knows no leader now`
      : `Rejected a command of ${token.leaderId} in term ${token.term}: this peer is in term ${current.term} (leader ${current.leaderId})`)
    this.name = 'UnknownTermError'
    this.token = token
  }
}

/** A command claims to come from a leader but arrived on another peer's connection. */
export class ForgedCommandError extends Error {
  readonly sender: string
  constructor (token: FencingToken, sender: string) {
    super(`Rejected a command claiming to come from leader ${token.leaderId} (term ${token.term}) that peer ${sender} sent`)
    this.name = 'ForgedCommandError'
    this.sender = sender
  }
}

export interface FencingGuardComponents {
  /** This peer's own view: the current Raft term and its leader, undefined while none is known. */
  readonly current: () => FencingToken | undefined
}

export class FencingGuard {
  readonly #c: FencingGuardComponents
  #highest: FencingToken | undefined

  constructor (components: FencingGuardComponents) {
    this.#c = components
  }

  /** The newest token accepted so far. */
  get highest (): FencingToken | undefined { return this.#highest }

  /**
   * Accepts `token` sent by `sender` (the connection's authenticated peer id; undefined for
   * a command from this peer itself).
   *
   * @throws {ForgedCommandError} when `sender` is not the leader the token names
   * @throws {StaleLeaderError} when the token is older than this peer's term or than one accepted before
   * @throws {UnknownTermError} when this peer knows no leader for the token's term
   */
  check (token: FencingToken, sender: string | undefined): void {
    if (sender !== undefined && sender !== token.leaderId) throw new ForgedCommandError(token, sender)
    const highest = this.#highest
    if (highest !== undefined && (token.term < highest.term || (token.term === highest.term && token.leaderId !== highest.leaderId))) {
      throw new StaleLeaderError(token, highest)
    }
    const current = this.#c.current()
    if (current !== undefined && (token.term < current.term || (token.term === current.term && token.leaderId !== current.leaderId))) {
      throw new StaleLeaderError(token, current)
    }
    if (current === undefined || token.term > current.term) throw new UnknownTermError(token, current)
    this.#highest = { term: token.term, leaderId: token.leaderId }
  }
}
