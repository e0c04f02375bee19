/**
 * The in-memory Raft log. Index 0 is a sentinel of term 0 so that `prevLogIndex = 0` always
 * matches; real entries start at index 1 (there are no snapshots yet, so the log is never
 * compacted). It also tracks where the configuration entries are, because a configuration
 * takes effect as soon as it is appended and is undone when truncated (thesis §4.1).
 */
import type { LogEntry, RaftConfiguration } from '../../../protocol/raft.ts'

export class RaftLog {
  readonly #entries: LogEntry[] = []
  /** Indexes of config entries, ascending. */
  readonly #configIndexes: number[] = []

  constructor (entries: readonly LogEntry[] = []) {
    this.append(entries)
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
      if (e.type === 'config') this.#configIndexes.push(e.index)
    }
  }

  /** Drops the entries at `index` and after. */
  truncateFrom (index: number): void {
    if (index > this.#entries.length) return
    this.#entries.length = Math.max(0, index - 1)
    while ((this.#configIndexes[this.#configIndexes.length - 1] ?? 0) >= index) this.#configIndexes.pop()
  }

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
