/**
 * The values of one keyed state across all keys of a subtask, with optional TTL.
 *
 * TTL follows Flink's StateTtlConfig (processing time, never return expired values):
 * - value, reducing and aggregating state expire per key: an entry older than its
 *   time-to-live reads as absent and is dropped when read;
 * - list and map state expire per element / per map entry, each on its own clock; the
 *   state object keeps `{ v, t }` cells and asks this table for the time and the rules
 *   ({@link TtlCell}), and {@link purgeExpired} drops expired cells of every key.
 *
 * For checkpoints a table records the keys it changed in `changes` (when given), and
 * stores an entry in a snapshot in its {@link TableForm}: the value itself, `[value,
 * stamp]` with per-key TTL, or the `{ v, t }` cells with per-element TTL. A restored entry
 * of another form (the TTL was changed between runs) is converted on load.
 */
import type { Key } from '../../api/functions.ts'
import type { StateTtlConfig } from '../../api/state.ts'
import { StateRestoreError } from '../errors.ts'

/** A list element or map value with the time it was last written (or read, per config). */
export interface TtlCell<V> {
  v: V
  t: number
}

/** How a table stores an entry in a snapshot. */
export type TableForm = 'plain' | 'stamped' | 'cells'

export class StateTable {
  readonly name: string
  readonly kind: string
  #data = new Map<Key, unknown>()
  /** Time-to-live in ms, 0 without TTL. */
  readonly ttlMs: number
  /** True when reading an entry restarts its clock (`OnReadAndWrite`). */
  readonly refreshOnRead: boolean
  /** True when TTL applies per list element / map entry rather than per key. */
  readonly perEntry: boolean
  readonly ttl: StateTtlConfig | undefined
  readonly #stamps: Map<Key, number> | undefined
  readonly now: () => number
  /** Keys written or deleted since the last snapshot (undefined when nobody tracks them). */
  readonly changes: Set<Key> | undefined

  constructor (name: string, kind: string, ttl: StateTtlConfig | undefined, now: () => number, changes?: Set<Key>) {
    this.name = name
    this.kind = kind
    this.now = now
    this.ttl = ttl
    this.changes = changes
    this.ttlMs = ttl?.ttlMs ?? 0
    this.refreshOnRead = ttl?.updateType === 'OnReadAndWrite'
    this.perEntry = ttl !== undefined && (kind === 'list' || kind === 'map')
    this.#stamps = ttl === undefined || this.perEntry ? undefined : new Map()
  }

  /** The entries by key (for per-element TTL, the cells). */
  get data (): Map<Key, unknown> { return this.#data }

  /** How this table stores an entry in a snapshot. */
  get form (): TableForm {
    return this.perEntry ? 'cells' : this.#stamps !== undefined ? 'stamped' : 'plain'
  }

  /** Records that the entry of `key` changed in place (list and map state mutate their values). */
  changed (key: Key): void {
    this.changes?.add(key)
  }

  /** True when a cell stamped at `t` has expired at `now`. */
  expired (t: number, now: number): boolean {
    return t + this.ttlMs <= now
  }

  get (key: Key): unknown {
    const value = this.#data.get(key)
    const stamps = this.#stamps
    if (stamps === undefined || value === undefined) return value
    const now = this.now()
    const stamp = stamps.get(key)!
    if (this.expired(stamp, now)) {
      this.#data.delete(key)
      stamps.delete(key)
      this.changes?.add(key)
      return undefined
    }
    if (this.refreshOnRead && stamp !== now) {
      stamps.set(key, now)
      this.changes?.add(key)
    }
    return value
  }

  set (key: Key, value: unknown): void {
    this.#data.set(key, value)
    if (this.#stamps !== undefined) this.#stamps.set(key, this.now())
    this.changes?.add(key)
  }

  delete (key: Key): void {
    this.#data.delete(key)
    this.#stamps?.delete(key)
    this.changes?.add(key)
  }

  /** The entry of `key` as a snapshot stores it (see {@link form}), or undefined. */
  snapshotEntry (key: Key): unknown {
    const value = this.#data.get(key)
    if (value === undefined || this.#stamps === undefined) return value
    return [value, this.#stamps.get(key)]
  }

  /** Calls `visit` with every entry as a snapshot stores it. */
  forEachSnapshotEntry (visit: (key: Key, entry: unknown) => void): void {
    const stamps = this.#stamps
    if (stamps === undefined) {
      for (const [key, value] of this.data) visit(key, value)
    } else {
      for (const [key, value] of this.data) visit(key, [value, stamps.get(key)])
    }
  }

  /**
   * Loads restored entries stored in `form` (see {@link loadEntry}). Takes `entries` over
   * when they need no conversion and the table is empty: the caller must not use it after.
   */
  loadEntries (entries: Map<Key, unknown>, form: TableForm): void {
    if (form === 'plain' && this.form === 'plain' && this.#data.size === 0) {
      this.#data = entries
      return
    }
    for (const [key, entry] of entries) this.loadEntry(key, entry, form)
  }

  /**
   * Loads an entry a snapshot stored in `form`, converting it to this table's form: a
   * stamp is dropped when this table has no TTL, and an entry that had none is stamped now.
   *
   * @throws {StateRestoreError} when the entry does not have the shape of its form
   */
  loadEntry (key: Key, entry: unknown, form: TableForm): void {
    const bad = (): never => { throw new StateRestoreError(`State '${this.name}': a restored ${this.kind} entry does not have the ${form} form`) }
    let value = entry
    let stamp: number | undefined
    if (form === 'stamped') {
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[1] !== 'number') bad()
      value = (entry as unknown[])[0]
      stamp = (entry as unknown[])[1] as number
    } else if (form === 'cells' && !this.perEntry) {
      value = this.kind === 'map' ? mapCells(entry, bad, c => c.v) : listCells(entry, bad).map(c => c.v)
    } else if (form !== 'cells' && this.perEntry) {
      const now = this.now()
      if (this.kind === 'map') {
        if (!(entry instanceof Map)) bad()
        value = new Map([...(entry as Map<unknown, unknown>)].map(([k, v]) => [k, { v, t: now }]))
      } else {
        if (!Array.isArray(entry)) bad()
        value = (entry as unknown[]).map(v => ({ v, t: now }))
      }
    } else if (form === 'cells') {
      if (this.kind === 'map') mapCells(entry, bad, c => c)
      else listCells(entry, bad)
    }
    if (value === undefined) return
    this.#data.set(key, value)
    if (this.#stamps !== undefined) this.#stamps.set(key, stamp ?? this.now())
  }

  /** Drops every expired entry (run now and then so unread keys do not pile up). */
  purgeExpired (): void {
    if (this.perEntry) {
      const now = this.now()
      for (const [key, value] of this.data) {
        if (value instanceof Map) {
          const size = value.size
          for (const [k, cell] of value as Map<unknown, TtlCell<unknown>>) if (this.expired(cell.t, now)) value.delete(k)
          if (value.size === 0) this.#data.delete(key)
          if (value.size !== size) this.changes?.add(key)
        } else {
          const cells = value as TtlCell<unknown>[]
          const kept = cells.filter(c => !this.expired(c.t, now))
          if (kept.length === 0) this.#data.delete(key)
          else if (kept.length !== cells.length) this.#data.set(key, kept)
          if (kept.length !== cells.length) this.changes?.add(key)
        }
      }
      return
    }
    const stamps = this.#stamps
    if (stamps === undefined) return
    const now = this.now()
    for (const [key, t] of stamps) {
      if (this.expired(t, now)) {
        stamps.delete(key)
        this.#data.delete(key)
        this.changes?.add(key)
      }
    }
  }
}

/** Checks that `entry` is a list of TTL cells. */
function listCells (entry: unknown, bad: () => never): TtlCell<unknown>[] {
  if (!Array.isArray(entry)) bad()
  for (const c of entry as unknown[]) if (!isCell(c)) bad()
  return entry as TtlCell<unknown>[]
}

/** Checks that `entry` is a map of TTL cells and maps each cell. */
function mapCells (entry: unknown, bad: () => never, f: (c: TtlCell<unknown>) => unknown): Map<unknown, unknown> {
  if (!(entry instanceof Map)) bad()
  const m = entry as Map<unknown, unknown>
  const out = new Map<unknown, unknown>()
  for (const [k, c] of m) {
    if (!isCell(c)) bad()
    out.set(k, f(c))
  }
  return out
}

function isCell (c: unknown): c is TtlCell<unknown> {
  return typeof c === 'object' && c !== null && 't' in c && typeof (c as TtlCell<unknown>).t === 'number'
}
