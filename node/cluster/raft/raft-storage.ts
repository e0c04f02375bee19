/**
 * Where a Raft node keeps what must survive a restart: its hard state (term and vote) and
 * its log. `RaftNode` calls `save` once per `Ready`, and sends the Ready's messages only
 * after `save` resolved, so an implementation must make the write durable before resolving.
 */
import type { LogEntry } from '../../../protocol/raft.ts'
import type { HardState, PersistentState } from './types.ts'

export interface RaftStorageOptions {
  readonly signal?: AbortSignal
}

/**
 * Durable storage of one Raft node. Writes come one at a time, never concurrently.
 */
export interface RaftStorage {
  /** Reads the saved state; a node that never saved anything gets no hard state and no entries. */
  load (options?: RaftStorageOptions): Promise<PersistentState>
  /**
   * Atomically: replaces the hard state when given, drops every stored entry with index
   * `>= truncateFrom` when given, then appends `entries` (contiguous, continuing the log).
   */
  save (hardState: HardState | undefined, entries: readonly LogEntry[], truncateFrom: number | undefined, options?: RaftStorageOptions): Promise<void>
}

/**
 * A `RaftStorage` in memory, for tests and single-process clusters. Survives a `RaftNode`
 * stop/start within one process (keep the instance), not a process restart.
 *
 * @example
 * const storage = new MemoryRaftStorage()
 * await storage.save({ term: 1, votedFor: undefined }, [{ term: 1, index: 1, type: 'noop' }], undefined)
 * const { hardState, entries } = await storage.load()
 */
export class MemoryRaftStorage implements RaftStorage {
  #hardState: HardState | undefined
  readonly #entries: LogEntry[] = []

  async load (options: RaftStorageOptions = {}): Promise<PersistentState> {
    options.signal?.throwIfAborted()
    return { hardState: this.#hardState, entries: this.#entries.slice() }
  }

  async save (hardState: HardState | undefined, entries: readonly LogEntry[], truncateFrom: number | undefined, options: RaftStorageOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    // validate everything first so that a bad write changes nothing
    const base = truncateFrom === undefined ? this.#entries.length : Math.min(this.#entries.length, truncateFrom - 1)
    if (truncateFrom !== undefined && truncateFrom < 1) throw new RangeError(`Raft storage truncateFrom ${truncateFrom} must be at least 1`)
    entries.forEach((e, i) => {
      if (e.index !== base + 1 + i) throw new RangeError(`Raft storage append of entry ${e.index} does not follow index ${base + i}`)
    })
    if (hardState !== undefined) this.#hardState = { term: hardState.term, votedFor: hardState.votedFor }
    this.#entries.length = base
    this.#entries.push(...entries)
  }
}
