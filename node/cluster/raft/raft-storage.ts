/**
 * Where a Raft node keeps what must survive a restart: its hard state (term and vote) and
 * its log. `RaftNode` calls `save` once per `Ready`, and sends the Ready's messages only
 * after `save` resolved, so an implementation must make the write durable before resolving.
 */
import type { LogEntry } from '../../../protocol/raft.ts'
import type { HardState, PersistentState, Snapshot } from './types.ts'

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
  /**
   * Atomically: replaces the stored snapshot with `snapshot` and drops every stored entry
   * below `retainFrom` (every entry when `undefined`). A crash leaves either the old
   * snapshot and log or the new ones, never a log compacted behind a snapshot not written.
   */
  saveSnapshot (snapshot: Snapshot, retainFrom: number | undefined, options?: RaftStorageOptions): Promise<void>
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
  #entries: LogEntry[] = []
  #snapshot: Snapshot | undefined

  async load (options: RaftStorageOptions = {}): Promise<PersistentState> {
    options.signal?.throwIfAborted()
    return { hardState: this.#hardState, entries: this.#entries.slice(), ...(this.#snapshot === undefined ? {} : { snapshot: this.#snapshot }) }
  }

  async saveSnapshot (snapshot: Snapshot, retainFrom: number | undefined, options: RaftStorageOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    this.#snapshot = snapshot
    this.#entries = retainFrom === undefined ? [] : this.#entries.filter(e => e.index >= retainFrom)
  }

  async save (hardState: HardState | undefined, entries: readonly LogEntry[], truncateFrom: number | undefined, options: RaftStorageOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    // validate everything first so that a bad write changes nothing
    const first = this.#entries[0]?.index ?? (this.#snapshot === undefined ? 1 : this.#snapshot.meta.index + 1)
    const last = first + this.#entries.length - 1
    const base = truncateFrom === undefined ? last : Math.min(last, truncateFrom - 1)
    if (truncateFrom !== undefined && truncateFrom < first) throw new RangeError(`Raft storage truncateFrom ${truncateFrom} must be at least the first stored index ${first}`)
    entries.forEach((e, i) => {
      if (e.index !== base + 1 + i) throw new RangeError(`Raft storage append of entry ${e.index} does not follow index ${base + i}`)
    })
    if (hardState !== undefined) this.#hardState = { term: hardState.term, votedFor: hardState.votedFor }
    this.#entries.length = base - first + 1
    this.#entries.push(...entries)
  }
}
