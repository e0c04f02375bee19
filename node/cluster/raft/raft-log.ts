/**
 * The in-memory Raft log. Index 0 is a sentinel of term 0 so that `prevLogIndex = 0` always
 * matches; real entries start at index 1 (there are no snapshots yet, so the log is never
 * compacted). It tracks where the configuration entries are, because a configuration
 * takes effect as soon as it is appended and is undone when truncated (thesis §4.1), and
 * which part of it storage does not hold yet.
 */
import type { LogEntry, RaftConfiguration } from '../../../protocol/raft.ts'

/** The log of one RaftCore; see the file comment. */
export class RaftLog {
  readonly #entries: LogEntry[] = []
  /** Indexes of config entries, ascending. */
  readonly #configIndexes: number[] = []
  #configVersion = 0
  /** Lowest index changed (appended or truncated) since the last `takeUnpersisted`. */
  #dirtyFrom = Number.POSITIVE_INFINITY
  /** Last index storage holds once every change taken so far is written. */
  #storedIndex = 0
  /** Last index known to be durable. */
  #stableIndex = 0

  /** `entries` are the log as loaded from storage: already durable. */
  constructor (entries: readonly LogEntry[] = []) {
    this.append(entries)
    this.#dirtyFrom = Number.POSITIVE_INFINITY
    this.#storedIndex = this.#stableIndex = this.lastIndex
  }

  get lastIndex (): number { return this.#entries.length }

  get lastTerm (): number { return this.#entries[this.#entries.length - 1]?.term ?? 0 }

  /** The term of the entry at `index`; 0 for index 0, `undefined` past the end. */
  term (index: number): number | undefined {
    if (index === 0) return 0
    return this.#entries[index - 1]?.term
  }

  entry (index: number): LogEntry | undefined {
    return this.#entries[index - 1]
  }

  /** True when the log has an entry at `index` with `term` (Raft's consistency check). */
  matches (index: number, term: number): boolean {
    return this.term(index) === term
  }

  /** Entries with index in `[from, to)`. */
  slice (from: number, to: number): LogEntry[] {
    return this.#entries.slice(Math.max(0, from - 1), Math.max(0, to - 1))
  }

  /**
   * Appends entries that continue the log. Throws on a gap or an index that is already
   * taken: callers truncate first, and a bad index here is a bug of ours.
   */
  append (entries: readonly LogEntry[]): void {
    for (const e of entries) {
      if (e.index !== this.#entries.length + 1) {
        throw new Error(`Raft log append at index ${e.index} does not follow last index ${this.#entries.length}`)
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
    if (index > this.#entries.length) return
    this.#entries.length = Math.max(0, index - 1)
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
    this.#stableIndex = Math.min(lastIndex, this.#dirtyFrom - 1, this.lastIndex)
  }

  /**
   * Changes whenever a configuration entry is appended or truncated, so that a caller can
   * tell that the configuration in effect may have changed (even back to the same index).
   */
  get configVersion (): number { return this.#configVersion }

  /** Index of the latest configuration entry, 0 when there is none. */
  get lastConfigIndex (): number {
    return this.#configIndexes[this.#configIndexes.length - 1] ?? 0
  }

  /** The latest configuration in the log, the one in effect (thesis §4.1). */
  get configuration (): RaftConfiguration | undefined {
    const e = this.entry(this.lastConfigIndex)
    return e?.type === 'config' ? e.config : undefined
  }
}
