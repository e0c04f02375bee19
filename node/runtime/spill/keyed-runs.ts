/**
 * Spilling the hash table of a grouping operator (Flink's sort-based spilling of a
 * combining hash table): when the table passes its budget its entries are sorted by group
 * key and written as a run of `[key, ...payload]` entries, and the table starts empty. At
 * the end the runs and the last table are merged in key order and the entries of one key
 * combined — in run order, which is arrival order, so a group's rows keep the order they
 * had in memory. Only one key's entries are held at a time.
 *
 * A group key (`groupKey` of data-set-keys.ts) is written as it is, the null key as null:
 * `groupKey` of what is read back is the same Map key again.
 */
import type { GroupKey } from '../../api/data-set-keys.ts'
import { groupKey, NULL_KEY } from '../../api/data-set-keys.ts'
import type { SpillFiles, RunFile } from './spill-files.ts'
import { readRun } from './spill-files.ts'
import { mergeSorted } from './merge-sorted.ts'
import { MAX_FAN_IN } from './external-sorter.ts'

/** A group key as it is written: the null key as null. */
export type StoredKey = Exclude<GroupKey, typeof NULL_KEY> | null

export function storeKey (k: GroupKey): StoredKey {
  return k === NULL_KEY ? null : k
}

function rank (k: StoredKey): number {
  switch (typeof k) {
    case 'boolean': return 1
    case 'number': return 2
    case 'bigint': return 3
    case 'string': return 4
  }
  return 0
}

/**
 * A total order of stored group keys that agrees with Map key equality (SameValueZero):
 * the null key, booleans, numbers (NaN last), bigints, strings — `1` and `1n` are two
 * keys, as they are two Map keys.
 */
export function compareStoredKeys (a: StoredKey, b: StoredKey): number {
  if (a === b) return 0
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb) return ra - rb
  if (ra === 2 && (a !== a || b !== b)) return a !== a ? (b !== b ? 0 : 1) : -1 // eslint-disable-line no-self-compare
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0
}

/** An entry of a keyed run: the stored key first. */
export type KeyedEntry = [StoredKey, ...unknown[]]

function byKey (a: KeyedEntry, b: KeyedEntry): number {
  return compareStoredKeys(a[0], b[0])
}

/**
 * The runs of one grouping operator's hash table.
 *
 * @example
 * const runs = new KeyedRuns(files)
 * runs.spill(table, (k, g) => [k, g.raw, g.rows]); table.clear()
 * for (const e of runs.merged(table, toEntry)) …  // entries in key order, equal keys adjacent
 */
export class KeyedRuns {
  readonly #files: SpillFiles
  readonly #runs: RunFile[] = []

  constructor (files: SpillFiles) {
    this.#files = files
  }

  /** True once a run was written. */
  get spilled (): boolean { return this.#runs.length > 0 }

  /** Writes `table` as a run of `entry(storedKey, value)` in key order (the caller clears it). */
  spill<V> (table: ReadonlyMap<GroupKey, V>, entry: (key: StoredKey, value: V) => KeyedEntry): void {
    const entries: KeyedEntry[] = []
    for (const [k, v] of table) entries.push(entry(storeKey(k), v))
    this.#write(entries)
  }

  #write (entries: KeyedEntry[]): void {
    entries.sort(byKey)
    const w = this.#files.create()
    for (let i = 0; i < entries.length; i++) w.add(entries[i])
    this.#runs.push(w.finish())
    if (this.#runs.length >= 2 * MAX_FAN_IN) {
      // too many runs to merge at once: the oldest become one (still first among equal keys)
      const oldest = this.#runs.splice(0, MAX_FAN_IN)
      const c = this.#files.create()
      for (const e of mergeSorted(oldest.map(r => readRun(r) as Iterator<KeyedEntry>), byKey)) c.add(e)
      this.#runs.unshift(c.finish())
    }
  }

  /**
   * The entries of every run and of `table` (the newest), in key order; of one key, oldest
   * first. The runs are consumed.
   */
  merged<V> (table: ReadonlyMap<GroupKey, V>, entry: (key: StoredKey, value: V) => KeyedEntry): Generator<KeyedEntry, void, undefined> {
    const last: KeyedEntry[] = []
    for (const [k, v] of table) last.push(entry(storeKey(k), v))
    last.sort(byKey)
    while (this.#runs.length > MAX_FAN_IN) {
      const oldest = this.#runs.splice(0, MAX_FAN_IN)
      const c = this.#files.create()
      for (const e of mergeSorted(oldest.map(r => readRun(r) as Iterator<KeyedEntry>), byKey)) c.add(e)
      this.#runs.unshift(c.finish())
    }
    const runs = this.#runs.splice(0)
    return mergeSorted([...runs.map(r => readRun(r) as Iterator<KeyedEntry>), last[Symbol.iterator]()], byKey)
  }
}

/** The Map key of a stored key read back. */
export function loadKey (k: StoredKey): GroupKey {
  return groupKey(k)
}

/**
 * Groups a key-ordered stream of entries: yields `[key, entries]` per key, entries in the
 * order they came.
 */
export function * groupsOf (entries: Iterator<KeyedEntry>): Generator<[StoredKey, KeyedEntry[]], void, undefined> {
  let current: KeyedEntry[] | undefined
  try {
    for (let r = entries.next(); r.done !== true; r = entries.next()) {
      const e = r.value
      if (current !== undefined && compareStoredKeys(current[0]![0], e[0]) === 0) {
        current.push(e)
        continue
      }
      if (current !== undefined) yield [current[0]![0], current]
      current = [e]
    }
    if (current !== undefined) yield [current[0]![0], current]
  } finally {
    entries.return?.()
  }
}
