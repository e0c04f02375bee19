/**
 * The values of one keyed state across all keys of a subtask, with optional TTL.
 *
 * TTL follows Flink's StateTtlConfig (processing time, never return expired values):
 * - value, reducing and aggregating state expire per key: an entry older than its
 *   time-to-live reads as absent and is dropped when read;
 * - list and map state expire per element / per map entry, each on its own clock; the
 *   state object keeps `{ v, t }` cells and asks this table for the time and the rules
 *   ({@link TtlCell}), and {@link purgeExpired} drops expired cells of every key.
 */
import type { Key } from '../../api/functions.ts'
import type { StateTtlConfig } from '../../api/state.ts'

/** A list element or map value with the time it was last written (or read, per config). */
export interface TtlCell<V> {
  v: V
  t: number
}

export class StateTable {
  readonly name: string
  readonly kind: string
  readonly data = new Map<Key, unknown>()
  /** Time-to-live in ms, 0 without TTL. */
  readonly ttlMs: number
  /** True when reading an entry restarts its clock (`OnReadAndWrite`). */
  readonly refreshOnRead: boolean
  /** True when TTL applies per list element / map entry rather than per key. */
  readonly perEntry: boolean
  readonly #stamps: Map<Key, number> | undefined
  readonly now: () => number

  constructor (name: string, kind: string, ttl: StateTtlConfig | undefined, now: () => number) {
    this.name = name
    this.kind = kind
    this.now = now
    this.ttlMs = ttl?.ttlMs ?? 0
    this.refreshOnRead = ttl?.updateType === 'OnReadAndWrite'
    this.perEntry = ttl !== undefined && (kind === 'list' || kind === 'map')
    this.#stamps = ttl === undefined || this.perEntry ? undefined : new Map()
  }

  /** True when a cell stamped at `t` has expired at `now`. */
  expired (t: number, now: number): boolean {
    return t + this.ttlMs <= now
  }

  get (key: Key): unknown {
    const value = this.data.get(key)
    const stamps = this.#stamps
    if (stamps === undefined || value === undefined) return value
    const now = this.now()
    if (this.expired(stamps.get(key)!, now)) {
      this.data.delete(key)
      stamps.delete(key)
      return undefined
    }
    if (this.refreshOnRead) stamps.set(key, now)
    return value
  }

  set (key: Key, value: unknown): void {
    this.data.set(key, value)
    if (this.#stamps !== undefined) this.#stamps.set(key, this.now())
  }

  delete (key: Key): void {
    this.data.delete(key)
    this.#stamps?.delete(key)
  }

  /** Drops every expired entry (run now and then so unread keys do not pile up). */
  purgeExpired (): void {
    if (this.perEntry) {
      const now = this.now()
      for (const [key, value] of this.data) {
        if (value instanceof Map) {
          for (const [k, cell] of value as Map<unknown, TtlCell<unknown>>) if (this.expired(cell.t, now)) value.delete(k)
          if (value.size === 0) this.data.delete(key)
        } else {
          const kept = (value as TtlCell<unknown>[]).filter(c => !this.expired(c.t, now))
          if (kept.length === 0) this.data.delete(key)
          else this.data.set(key, kept)
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
        this.data.delete(key)
      }
    }
  }
}
