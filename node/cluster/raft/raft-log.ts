/**
 * The in-memory Raft log. Entries up to `offset` are compacted away behind a snapshot
 * (Raft §7); the entry at `offset` is a sentinel whose term alone is known (term 0 at
 * index 0 on a log never compacted), so that `prevLogIndex = offset` always matches; real
 * entries follow it (as etcd/raft's `unstable`/`MemoryStorage` keep a dummy entry). It
 * tracks where the configuration entries are, because a configuration takes effect as
 * soon as it is appended and is undone when truncated (thesis §4.1), and which part of it
 * storage does not hold yet.
 */
import type { LogEntry, RaftConfiguration, SnapshotMeta } from '../../../protocol/raft.ts'

/** The log of one RaftCore; see the file comment. */
export class RaftLog {
  /** Entries `offset + 1 ..`, in order. */
  #entries: LogEntry[] = []
  #offset = 0
  #offsetTerm = 0
  /** The configuration in effect at `offset` (from a snapshot), if compacted. */
  #baseConfig: RaftConfiguration | undefined
  /** Indexes of config entries, ascending. */
  readonly #configIndexes: number[] = []
  #configVersion = 0
  /** Lowest index changed (appended or truncated) since the last `takeUnpersisted`. */
  #dirtyFrom = Number.POSITIVE_INFINITY
  /** Last index storage holds once every change taken so far is written. */
  #storedIndex = 0
  /** Last index known to be durable. */
  #stableIndex = 0

  /**
   * `entries` are the log as loaded from storage: already durable. With a `snapshot`, the
   * first stored entry at or before the snapshot's index becomes the sentinel (storage
   * keeps it for its term); without one at or before it, the snapshot's index is.
   *
   * @throws when the entries do not fit the snapshot (a gap after it, another term at its index)
   */
  constructor (entries: readonly LogEntry[] = [], snapshot?: SnapshotMeta) {
    if (snapshot !== undefined) {
      const first = entries[0]
      if (first !== undefined && first.index <= snapshot.index) {
        this.#offset = first.index
        this.#offsetTerm = first.term
        entries = entries.slice(1)
      } else {
        this.#offset = snapshot.index
        this.#offsetTerm = snapshot.term
      }
      this.#baseConfig = snapshot.config
    }
    this.append(entries)
    if (snapshot !== undefined && this.term(snapshot.index) !== snapshot.term) {
      throw new Error(`Raft log holds term ${String(this.term(snapshot.index))} at the snapshot's index ${snapshot.index} of term ${snapshot.term}`)
    }
    this.#dirtyFrom = Number.POSITIVE_INFINITY
    this.#storedIndex = this.#stableIndex = this.lastIndex
  }

  /** Index of the sentinel: entries up to here are compacted (0 when never compacted). */
  get offset (): number { return this.#offset }

  get lastIndex (): number { return this.#offset + this.#entries.length }

  get lastTerm (): number { return this.#entries[this.#entries.length - 1]?.term ?? this.#offsetTerm }

  /** The term of the entry at `index`; the sentinel's at `offset`, `undefined` when compacted or past the end. */
  term (index: number): number | undefined {
    if (index === this.#offset) return this.#offsetTerm
    if (index < this.#offset) return undefined
    return this.#entries[index - this.#offset - 1]?.term
  }

  entry (index: number): LogEntry | undefined {
    if (index <= this.#offset) return undefined
    return this.#entries[index - this.#offset - 1]
  }

  /** True when the log has an entry at `index` with `term` (Raft's consistency check). */
  matches (index: number, term: number): boolean {
    return this.term(index) === term
  }

  /**
   * Entries with index in `[from, to)`.
   *
   * @throws when `from` is compacted: callers check `offset` first
   */
  slice (from: number, to: number): LogEntry[] {
    if (from <= this.#offset && to > from) throw new Error(`Raft log slice from ${from} reaches into the compacted log (offset ${this.#offset})`)
    return this.#entries.slice(Math.max(0, from - this.#offset - 1), Math.max(0, to - this.#offset - 1))
  }

  /**
   * Appends entries that continue the log. Throws on a gap or an index that is already
   * taken: callers truncate first, and a bad index here is a bug of ours.
   */
  append (entries: readonly LogEntry[]): void {
    for (const e of entries) {
      if (e.index !== this.lastIndex + 1) {
        throw new Error(`Raft log append at index ${e.index} does not follow last index ${this.lastIndex}`)
      }
      this.#entries.push(e)
      if (e.type === 'config') {
        this.#configIndexes.push(e.index)
        this.#configVersion++
      }
      if (e.index < this.#dirtyFrom) this.#dirtyFrom = e.index
    }
  }

  /** Drops the entries at `index` and after. */
  truncateFrom (index: number): void {
    if (index > this.lastIndex) return
    if (index <= this.#offset) throw new Error(`Raft log: refusing to truncate from ${index}, at or before the compacted index ${this.#offset}`)
    this.#entries.length = index - this.#offset - 1
    while ((this.#configIndexes[this.#configIndexes.length - 1] ?? 0) >= index) {
      this.#configIndexes.pop()
      this.#configVersion++
    }
    if (index < this.#dirtyFrom) this.#dirtyFrom = index
    if (this.#stableIndex >= index) this.#stableIndex = index - 1
  }

  /**
   * A follower's side of AppendEntries (§5.3): if the log has `prevIndex` with `prevTerm`,
   * drops any conflicting suffix and appends what is new; entries already there stay, so a
   * delayed, shorter AppendEntries never truncates what a later one appended. Otherwise
   * answers where the leader should try next, skipping the whole conflicting term at once
   * (fast backtracking) but never below `commitIndex + 1`, since committed entries match
   * every leader's log.
   *
   * @throws when it would truncate a committed entry: a safety bug, never to be papered over
   */
  maybeAppend (prevIndex: number, prevTerm: number, entries: readonly LogEntry[], commitIndex: number): { ok: true, matchIndex: number } | { ok: false, conflictIndex: number } {
    if (!this.matches(prevIndex, prevTerm)) {
      if (prevIndex > this.lastIndex) return { ok: false, conflictIndex: this.lastIndex + 1 }
      let i = prevIndex
      while (i > commitIndex + 1 && this.term(i - 1) === this.term(prevIndex)) i--
      return { ok: false, conflictIndex: Math.max(i, commitIndex + 1) }
    }
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!
      const t = this.term(e.index)
      if (t === e.term) continue
      if (t !== undefined) {
        if (e.index <= commitIndex) throw new Error(`Raft log: refusing to truncate committed entry ${e.index} (commit index ${commitIndex})`)
        this.truncateFrom(e.index)
      }
      this.append(entries.slice(i))
      break
    }
    return { ok: true, matchIndex: prevIndex + entries.length }
  }

  /** Last index known to be durable: a leader counts itself with this for commitment. */
  get stableIndex (): number { return this.#stableIndex }

  /** Whether the log changed since the last `takeUnpersisted`. */
  get hasUnpersisted (): boolean { return this.#dirtyFrom !== Number.POSITIVE_INFINITY }

  /**
   * What storage must do to hold this log: drop its entries from `truncateFrom` (when
   * set), then append `entries`. Storage must apply these in the order they were taken.
   */
  takeUnpersisted (): { entries: LogEntry[], truncateFrom: number | undefined } {
    if (!this.hasUnpersisted) return { entries: [], truncateFrom: undefined }
    const truncateFrom = this.#dirtyFrom <= this.#storedIndex ? this.#dirtyFrom : undefined
    const entries = this.slice(this.#dirtyFrom, this.lastIndex + 1)
    this.#dirtyFrom = Number.POSITIVE_INFINITY
    this.#storedIndex = this.lastIndex
    return { entries, truncateFrom }
  }

  /**
   * Storage holds the log up to `lastIndex` as taken; entries changed since are not
   * durable yet.
   */
  markPersisted (lastIndex: number): void {
    // never below the sentinel: a snapshot's entries are committed, hence durable somewhere
    this.#stableIndex = Math.max(this.#offset, Math.min(lastIndex, this.#dirtyFrom - 1, this.lastIndex))
  }

  /**
   * Changes whenever a configuration entry is appended or truncated, so that a caller can
   * tell that the configuration in effect may have changed (even back to the same index).
   */
  get configVersion (): number { return this.#configVersion }

  /** Index of the latest configuration entry (`offset` when it was compacted), 0 when there is none. */
  get lastConfigIndex (): number {
    return this.#configIndexes[this.#configIndexes.length - 1] ?? (this.#baseConfig === undefined ? 0 : this.#offset)
  }

  /** The latest configuration in the log, the one in effect (thesis §4.1). */
  get configuration (): RaftConfiguration | undefined {
    const e = this.entry(this.#configIndexes[this.#configIndexes.length - 1] ?? 0)
    return e?.type === 'config' ? e.config : this.#baseConfig
  }

  /** The configuration in effect at `index` (at or after `offset`): what a snapshot there records. */
  configurationAt (index: number): RaftConfiguration | undefined {
    for (let i = this.#configIndexes.length - 1; i >= 0; i--) {
      const at = this.#configIndexes[i]!
      if (at <= index) {
        const e = this.entry(at)
        return e?.type === 'config' ? e.config : undefined
      }
    }
    return this.#baseConfig
  }

  /**
   * Drops the entries before `index`, which becomes the sentinel: a snapshot covers them.
   * Only durable entries are compacted (the caller snapshots applied, hence stable, ones).
   */
  compact (index: number): void {
    if (index <= this.#offset) return
    if (index > this.#stableIndex) throw new Error(`Raft log: refusing to compact to ${index}, past the durable index ${this.#stableIndex}`)
    this.#baseConfig = this.configurationAt(index)
    this.#offsetTerm = this.term(index) ?? 0
    this.#entries = this.#entries.slice(index - this.#offset)
    this.#offset = index
    while ((this.#configIndexes[0] ?? Number.POSITIVE_INFINITY) <= index) this.#configIndexes.shift()
  }

  /**
   * Replaces the whole log with a snapshot received from the leader: nothing of the old
   * log is kept. Storage learns it from the snapshot write (which drops every entry).
   */
  restore (meta: SnapshotMeta): void {
    this.#entries = []
    this.#configIndexes.length = 0
    this.#configVersion++
    this.#offset = meta.index
    this.#offsetTerm = meta.term
    this.#baseConfig = meta.config
    this.#dirtyFrom = Number.POSITIVE_INFINITY
    this.#storedIndex = this.#stableIndex = meta.index
  }
}
